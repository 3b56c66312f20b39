package io.fuseengine.sim;

import io.netty.handler.codec.http.HttpResponseStatus;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static io.fuseengine.sim.FaultInjector.Fault;

/** Turns a matched fault into a different answer and/or a body delivery mode. Stateless; event loops. */
final class FaultResponses {
    private FaultResponses() {
    }

    static PreparedResponse rewrite(PreparedResponse resp, Fault fault, RqbitSim sim) {
        if (fault == null) {
            return resp;
        }
        switch (fault) {
            case STATUS_500:
                return status(resp, HttpResponseStatus.INTERNAL_SERVER_ERROR, "simulated internal error");
            case STATUS_503:
                return status(resp, HttpResponseStatus.SERVICE_UNAVAILABLE, "simulated: service unavailable");
            case INITIALIZING:
                if (resp.kind == PreparedResponse.Kind.STATS_JSON) {
                    SimTorrent t = sim.registry().byInfoHash(resp.infoHash);
                    if (t != null) {
                        return PreparedResponse.json(HttpResponseStatus.OK,
                                ApiJson.bytes(ApiJson.stats(t, sim.downloadRate(), true)),
                                PreparedResponse.Kind.STATS_JSON, resp.infoHash);
                    }
                }
                return status(resp, HttpResponseStatus.INTERNAL_SERVER_ERROR, "invalid state: initializing");
            case MALFORMED_JSON:
                return replaceJson(resp, malformed(resp.jsonBytes()));
            case TRUNCATED_JSON:
                byte[] j = resp.jsonBytes();
                return replaceJson(resp, Arrays.copyOf(j, j.length / 2));
            case WRONG_CONTENT_RANGE:
                return StreamResponses.wrongStart(resp);
            default:
                return resp;
        }
    }

    static ResponseWriter.Mode mode(Fault fault) {
        if (fault == null) {
            return ResponseWriter.Mode.NORMAL;
        }
        switch (fault) {
            case STALL_AFTER_HEADERS:
                return ResponseWriter.Mode.STALL;
            case SLOW_DRIP:
                return ResponseWriter.Mode.DRIP;
            case RESET_MID_BODY:
                return ResponseWriter.Mode.RESET;
            case TRUNCATED_BODY:
                return ResponseWriter.Mode.TRUNCATE;
            default:
                return ResponseWriter.Mode.NORMAL;
        }
    }

    private static PreparedResponse status(PreparedResponse resp, HttpResponseStatus status, String message) {
        return PreparedResponse.json(status, ApiJson.error(status, "internal_error", message, null),
                PreparedResponse.Kind.OTHER, resp.infoHash);
    }

    private static PreparedResponse replaceJson(PreparedResponse resp, byte[] json) {
        return PreparedResponse.json(resp.status, json, PreparedResponse.Kind.OTHER, resp.infoHash);
    }

    /** Same length class, not JSON: the first ':' doubled and a stray brace appended. */
    private static byte[] malformed(byte[] json) {
        String s = new String(json, StandardCharsets.UTF_8);
        return (s.replaceFirst(":", "::") + "}{").getBytes(StandardCharsets.UTF_8);
    }
}
