package io.fuseengine.sim;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Maps a request to rqbit's answer (before faults). Called on event loop threads; state lives in {@link RqbitSim}
 * and the thread-safe torrents.
 */
final class ApiRouter {
    private static final Logger LOG = LoggerFactory.getLogger(ApiRouter.class);
    private static final byte[] EMPTY_JSON = "{}".getBytes(StandardCharsets.US_ASCII);

    /** The endpoints, with the method family they answer. */
    private enum Endpoint {
        ROOT(false), LIST(false), ADD(true), PLAYLIST_ALL(false), SESSION_STATS(false), DETAILS(false),
        STATS_V1(false), HAVES(false), METADATA(false), PLAYLIST(false), STREAM(false), FORGET(true), DELETE(true),
        PAUSE(true), START(true), UPDATE_ONLY_FILES(true);

        final boolean post;

        Endpoint(boolean post) {
            this.post = post;
        }
    }

    private final RqbitSim sim;
    private final RqbitVersion version;

    ApiRouter(RqbitSim sim) {
        this.sim = sim;
        this.version = sim.config().version();
    }

    PreparedResponse route(SimRequest r) {
        Endpoint e = endpoint(r.segments);
        if (e == Endpoint.LIST && HttpMethod.POST.equals(r.method)) {
            e = Endpoint.ADD;
        }
        if (e == null) {
            return PreparedResponse.empty(HttpResponseStatus.NOT_FOUND);
        }
        boolean methodOk = e.post ? HttpMethod.POST.equals(r.method) : r.isGetOrHead();
        if (!methodOk) {
            return PreparedResponse.empty(HttpResponseStatus.METHOD_NOT_ALLOWED);
        }
        switch (e) {
            case ROOT:
                return json(ApiJson.bytes(ApiJson.root(version)), null);
            case LIST:
                return json(ApiJson.bytes(ApiJson.list(sim.registry().list(), version,
                        "true".equals(r.queryParam("with_stats")), sim.downloadRate(), false)), null);
            case ADD:
                return add(r);
            case PLAYLIST_ALL:
                return playlist(r, sim.registry().list());
            case SESSION_STATS:
                return json(ApiJson.bytes(ApiJson.sessionStats(sim.registry().list(), sim.downloadRate(),
                        sim.uptimeSeconds())), null);
            default:
                return torrentEndpoint(e, r);
        }
    }

    private PreparedResponse torrentEndpoint(Endpoint e, SimRequest r) {
        String key = r.segments.get(1);
        if (!TorrentRegistry.isInfoHash(key) && TorrentRegistry.parseId(key) == null) {
            return error(HttpResponseStatus.BAD_REQUEST, "internal_error",
                    "invalid torrent id or info hash: " + key, null);
        }
        Optional<SimTorrent> found = sim.registry().find(key);
        if (found.isEmpty()) {
            if (e == Endpoint.FORGET || e == Endpoint.DELETE) {
                return error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal_error",
                        "torrent with id " + key + " not found", null);
            }
            return error(HttpResponseStatus.NOT_FOUND, "torrent_not_found", "torrent " + key + " not found",
                    TorrentRegistry.parseId(key));
        }
        SimTorrent t = found.get();
        PreparedResponse resp;
        switch (e) {
            case DETAILS:
                resp = json(ApiJson.bytes(ApiJson.details(t, version)), t);
                break;
            case STATS_V1:
                resp = PreparedResponse.json(HttpResponseStatus.OK,
                        ApiJson.bytes(ApiJson.stats(t, sim.downloadRate(), false)), PreparedResponse.Kind.STATS_JSON,
                        t.infoHash());
                break;
            case HAVES:
                resp = Haves.respond(version, t, r.headers.get(HttpHeaderNames.ACCEPT));
                break;
            case METADATA:
                resp = PreparedResponse.bytes(HttpResponseStatus.OK, "application/x-bittorrent",
                        Bencode.infoDictionary(t), t.infoHash());
                break;
            case PLAYLIST:
                resp = playlist(r, List.of(t));
                break;
            case STREAM:
                resp = stream(r, t);
                break;
            case FORGET:
            case DELETE:
                sim.removeTorrent(t, e == Endpoint.DELETE);
                resp = json(EMPTY_JSON, t);
                break;
            case PAUSE:
            case START:
                resp = t.setPaused(e == Endpoint.PAUSE) ? json(EMPTY_JSON, t)
                        : error(HttpResponseStatus.BAD_REQUEST, "internal_error",
                        e == Endpoint.PAUSE ? "torrent is already paused" : "torrent is already live", null);
                break;
            case UPDATE_ONLY_FILES:
                resp = updateOnlyFiles(r, t);
                break;
            default:
                throw new IllegalStateException(e.toString());
        }
        return resp.infoHash == null ? resp.withInfoHash(t.infoHash()) : resp;
    }

    private PreparedResponse stream(SimRequest r, SimTorrent t) {
        Long idx = TorrentRegistry.parseId(r.segments.get(3));
        if (idx == null) {
            return error(HttpResponseStatus.BAD_REQUEST, "internal_error",
                    "invalid file index: " + r.segments.get(3), null);
        }
        if (idx >= t.files().size()) {
            return error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal_error",
                    "file with index " + idx + " not found in torrent", null);
        }
        sim.statsInternal().fileRequested(t.infoHash(), idx.intValue());
        return StreamResponses.build(version, t, t.file(idx.intValue()), r.headers.get(HttpHeaderNames.RANGE));
    }

    private PreparedResponse add(SimRequest r) {
        boolean listOnly = "true".equals(r.queryParam("list_only"));
        AddTorrentInput in = AddTorrentInput.parse(r.body, "true".equals(r.queryParam("is_url")));
        if (in.infoHash != null) {
            SimTorrent known = sim.registry().byInfoHash(in.infoHash);
            if (known != null) {
                LOG.debug("POST /torrents for known {}: returning id {}", in.infoHash, known.id());
                return json(ApiJson.bytes(ApiJson.addResponse(known, version, listOnly)), known);
            }
        }
        switch (in.kind) {
            case MAGNET:
                return error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal_error",
                        "rqbit-sim cannot resolve magnet " + (in.infoHash == null ? in.text : in.infoHash)
                                + ": it only serves torrents added through its Java API", null);
            case URL:
                return error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal_error",
                        "rqbit-sim cannot fetch " + in.text + ": it only serves torrents added through its Java API",
                        null);
            case TORRENT_FILE:
                return error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal_error",
                        "rqbit-sim has no peers for torrent " + in.infoHash, null);
            default:
                return error(HttpResponseStatus.BAD_REQUEST, "internal_error",
                        "error decoding torrent: not a magnet link, URL or .torrent file", null);
        }
    }

    private PreparedResponse updateOnlyFiles(SimRequest r, SimTorrent t) {
        try {
            JsonNode n = ApiJson.MAPPER.readTree(r.body);
            JsonNode arr = n == null ? null : n.get("only_files");
            if (arr == null || !arr.isArray()) {
                throw new IllegalArgumentException("missing only_files");
            }
            Set<Integer> only = new HashSet<>();
            for (JsonNode x : arr) {
                int i = x.asInt(-1);
                if (i < 0 || i >= t.files().size()) {
                    throw new IllegalArgumentException("bad file index " + x);
                }
                only.add(i);
            }
            t.setIncluded(only);
            return json(EMPTY_JSON, t);
        } catch (java.io.IOException | IllegalArgumentException ex) {
            return error(HttpResponseStatus.BAD_REQUEST, "internal_error", ex.getMessage(), null);
        }
    }

    private PreparedResponse playlist(SimRequest r, List<SimTorrent> torrents) {
        String host = r.headers.get(HttpHeaderNames.HOST, SimConstants.HOST + ":" + sim.port());
        StringBuilder sb = new StringBuilder("#EXTM3U\n");
        for (SimTorrent t : torrents) {
            for (SimFile f : t.files()) {
                if (f.padding() || !MimeTypes.isPlayable(f.name())) {
                    continue;
                }
                String last = f.components().get(f.components().size() - 1);
                sb.append("#EXTINF:-1, ").append(t.name()).append('/').append(f.name()).append('\n');
                sb.append("http://").append(host).append("/torrents/").append(t.id()).append("/stream/")
                        .append(f.index()).append('/')
                        .append(URLEncoder.encode(last, StandardCharsets.UTF_8).replace("+", "%20")).append('\n');
            }
        }
        return PreparedResponse.bytes(HttpResponseStatus.OK, "application/mpegurl; charset=utf-8",
                sb.toString().getBytes(StandardCharsets.UTF_8), null);
    }

    private Endpoint endpoint(List<String> s) {
        int n = s.size();
        if (n == 0) {
            return Endpoint.ROOT;
        }
        if (s.get(0).equals("stats")) {
            return n == 1 ? Endpoint.SESSION_STATS : null;
        }
        if (!s.get(0).equals("torrents")) {
            return null;
        }
        if (n == 1) {
            return Endpoint.LIST;
        }
        if (n == 2) {
            return s.get(1).equals("playlist") ? Endpoint.PLAYLIST_ALL : Endpoint.DETAILS;
        }
        String op = s.get(2);
        if (op.equals("stream")) {
            return n >= 4 ? Endpoint.STREAM : null;
        }
        if (op.equals("stats")) {
            return n == 4 && s.get(3).equals("v1") ? Endpoint.STATS_V1 : null;
        }
        if (n != 3) {
            return null;
        }
        switch (op) {
            case "haves":
                return version == RqbitVersion.V7 ? null : Endpoint.HAVES;
            case "metadata":
                return version == RqbitVersion.V7 ? null : Endpoint.METADATA;
            case "playlist":
                return Endpoint.PLAYLIST;
            case "forget":
                return Endpoint.FORGET;
            case "delete":
                return Endpoint.DELETE;
            case "pause":
                return Endpoint.PAUSE;
            case "start":
                return Endpoint.START;
            case "update_only_files":
                return Endpoint.UPDATE_ONLY_FILES;
            default:
                return null;
        }
    }

    private static PreparedResponse json(byte[] json, SimTorrent t) {
        return PreparedResponse.json(HttpResponseStatus.OK, json, PreparedResponse.Kind.JSON,
                t == null ? null : t.infoHash());
    }

    static PreparedResponse error(HttpResponseStatus status, String kind, String human, Long id) {
        return PreparedResponse.json(status, ApiJson.error(status, kind, human, id), PreparedResponse.Kind.OTHER, null);
    }
}
