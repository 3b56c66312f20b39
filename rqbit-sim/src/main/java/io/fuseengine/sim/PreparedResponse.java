package io.fuseengine.sim;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.util.EnumSet;
import java.util.Set;

import static io.fuseengine.sim.FaultInjector.Fault;

/**
 * What the router decided to answer, before faults are applied and before anything is written. Immutable.
 * Created and consumed on one event loop.
 */
final class PreparedResponse {
    /** What kind of body this is, which decides the faults that can apply. */
    enum Kind {
        /** A successful stream body (200/206 of file bytes). */
        STREAM,
        /** A JSON document of a metadata endpoint. */
        JSON,
        /** The JSON of {@code /torrents/{id}/stats/v1}. */
        STATS_JSON,
        /** Anything else (errors, bitfields, playlists, empty 404s). */
        OTHER
    }

    private static final Set<Fault> GENERIC = EnumSet.of(Fault.STALL_BEFORE_HEADERS, Fault.STALL_AFTER_HEADERS,
            Fault.SLOW_DRIP, Fault.RESET_MID_BODY, Fault.STATUS_500, Fault.STATUS_503, Fault.TRUNCATED_BODY);
    private static final Set<Fault> STREAM_FAULTS = plus(GENERIC, Fault.WRONG_CONTENT_RANGE, Fault.INITIALIZING);
    private static final Set<Fault> JSON_FAULTS = plus(GENERIC, Fault.MALFORMED_JSON, Fault.TRUNCATED_JSON);
    private static final Set<Fault> STATS_FAULTS = plus(JSON_FAULTS, Fault.INITIALIZING);

    final HttpResponseStatus status;
    final HttpHeaders headers;
    final BodySource body;
    final Kind kind;
    /** Torrent the request named, when it exists (for fault targeting). */
    final String infoHash;
    /** For STREAM: what was served, so a fault can rebuild the answer. */
    final StreamRequest stream;

    PreparedResponse(HttpResponseStatus status, HttpHeaders headers, BodySource body, Kind kind, String infoHash,
                     StreamRequest stream) {
        this.status = status;
        this.headers = headers;
        this.body = body;
        this.kind = kind;
        this.infoHash = infoHash;
        this.stream = stream;
    }

    static PreparedResponse json(HttpResponseStatus status, byte[] json, Kind kind, String infoHash) {
        HttpHeaders h = new DefaultHttpHeaders();
        h.set(HttpHeaderNames.CONTENT_TYPE, SimConstants.JSON);
        return new PreparedResponse(status, h, new BytesBody(json), kind, infoHash, null);
    }

    static PreparedResponse bytes(HttpResponseStatus status, String contentType, byte[] body, String infoHash) {
        HttpHeaders h = new DefaultHttpHeaders();
        if (contentType != null) {
            h.set(HttpHeaderNames.CONTENT_TYPE, contentType);
        }
        return new PreparedResponse(status, h, new BytesBody(body), Kind.OTHER, infoHash, null);
    }

    static PreparedResponse empty(HttpResponseStatus status) {
        return new PreparedResponse(status, new DefaultHttpHeaders(), BytesBody.EMPTY, Kind.OTHER, null, null);
    }

    PreparedResponse withInfoHash(String hash) {
        return new PreparedResponse(status, headers, body, kind, hash, stream);
    }

    /** JSON text of a JSON response, or null. */
    byte[] jsonBytes() {
        return body instanceof BytesBody && (kind == Kind.JSON || kind == Kind.STATS_JSON)
                ? ((BytesBody) body).bytes() : null;
    }

    Set<Fault> applicableFaults() {
        switch (kind) {
            case STREAM:
                return STREAM_FAULTS;
            case JSON:
                return JSON_FAULTS;
            case STATS_JSON:
                return STATS_FAULTS;
            default:
                return GENERIC;
        }
    }

    private static Set<Fault> plus(Set<Fault> base, Fault... more) {
        EnumSet<Fault> s = EnumSet.copyOf(base);
        s.addAll(Set.of(more));
        return s;
    }

    /** A resolved stream request: torrent, file and the byte span served. */
    static final class StreamRequest {
        final SimTorrent torrent;
        final SimFile file;
        final long start;
        final long endInclusive;

        StreamRequest(SimTorrent torrent, SimFile file, long start, long endInclusive) {
            this.torrent = torrent;
            this.file = file;
            this.start = start;
            this.endInclusive = endInclusive;
        }
    }
}
