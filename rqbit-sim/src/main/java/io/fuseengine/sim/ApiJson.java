package io.fuseengine.sim;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.util.List;
import java.util.Locale;

/** Builds rqbit's JSON documents, per emulated version. Stateless; any thread. */
final class ApiJson {
    /** Writes non-BMP characters (emoji) as raw UTF-8 like serde_json, not as escaped surrogate pairs. */
    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
            .build();
    private static final double MIB = 1024.0 * 1024.0;

    private ApiJson() {
    }

    static byte[] bytes(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code GET /} */
    static ObjectNode root(RqbitVersion v) {
        ObjectNode root = MAPPER.createObjectNode();
        ObjectNode apis = root.putObject("apis");
        apis.put("GET /", "list all available APIs");
        apis.put("GET /dht/stats", "DHT stats");
        apis.put("GET /dht/table", "DHT routing table");
        apis.put("GET /torrents", "List torrents");
        apis.put("GET /torrents/playlist", "Generate M3U8 playlist for all files in all torrents");
        apis.put("GET /stats", "Global session stats");
        apis.put("POST /torrents/resolve_magnet", "Resolve a magnet to torrent file bytes");
        apis.put("GET /torrents/{id_or_infohash}", "Torrent details");
        if (v != RqbitVersion.V7) {
            apis.put("GET /torrents/{id_or_infohash}/haves", "The bitfield of have pieces");
            apis.put("GET /torrents/{id_or_infohash}/metadata", "Download the corresponding torrent file");
        }
        apis.put("GET /torrents/{id_or_infohash}/playlist", "Generate M3U8 playlist for this torrent");
        apis.put("GET /torrents/{id_or_infohash}/stats/v1", "Torrent stats");
        apis.put("GET /torrents/{id_or_infohash}/peer_stats", "Per peer stats");
        apis.put("GET /torrents/{id_or_infohash}/stream/{file_idx}", "Stream a file. Accepts Range header to seek.");
        apis.put("POST /torrents/{id_or_infohash}/pause", "Pause torrent");
        apis.put("POST /torrents/{id_or_infohash}/start", "Resume torrent");
        apis.put("POST /torrents/{id_or_infohash}/forget", "Forget about the torrent, keep the files");
        apis.put("POST /torrents/{id_or_infohash}/delete", "Forget about the torrent, remove the files");
        apis.put("POST /torrents/{id_or_infohash}/update_only_files", "Change the selection of files to download.");
        apis.put("POST /torrents", "Add a torrent here. magnet: or http:// or a local file.");
        root.put("server", SimConstants.SERVER_NAME);
        root.put("version", v.versionString());
        return root;
    }

    /** {@code GET /torrents} */
    static ObjectNode list(List<SimTorrent> torrents, RqbitVersion v, boolean withStats, long rate,
                           boolean initializing) {
        ObjectNode root = MAPPER.createObjectNode();
        ArrayNode arr = root.putArray("torrents");
        for (SimTorrent t : torrents) {
            ObjectNode item = arr.addObject();
            item.put("id", t.id());
            item.put("info_hash", t.infoHash());
            if (v.listItemsHaveName()) {
                item.put("name", t.name());
                item.put("output_folder", t.outputFolder());
            }
            if (withStats && v.supportsWithStats()) {
                item.set("stats", stats(t, rate, initializing));
            }
        }
        return root;
    }

    /** {@code GET /torrents/{id}} */
    static ObjectNode details(SimTorrent t, RqbitVersion v) {
        ObjectNode d = MAPPER.createObjectNode();
        if (v.detailsHaveIdAndAttributes()) {
            d.put("id", t.id());
        }
        d.put("info_hash", t.infoHash());
        d.put("name", t.name());
        d.put("output_folder", t.outputFolder());
        if (v.detailsHaveTotalPieces()) {
            d.put("total_pieces", t.totalPieces());
        }
        ArrayNode files = d.putArray("files");
        for (SimFile f : t.files()) {
            ObjectNode fo = files.addObject();
            fo.put("name", f.name());
            ArrayNode comps = fo.putArray("components");
            f.components().forEach(comps::add);
            fo.put("length", f.length());
            fo.put("included", t.isIncluded(f.index()));
            if (v.detailsHaveIdAndAttributes()) {
                ObjectNode attrs = fo.putObject("attributes");
                attrs.put("symlink", false);
                attrs.put("hidden", false);
                attrs.put("padding", f.padding());
                attrs.put("executable", false);
            }
        }
        return d;
    }

    /** {@code GET /torrents/{id}/stats/v1}; {@code initializing} forces state "initializing". */
    static ObjectNode stats(SimTorrent t, long rate, boolean initializing) {
        ObjectNode s = MAPPER.createObjectNode();
        String state = initializing ? "initializing" : t.isPaused() ? "paused" : "live";
        s.put("state", state);
        ArrayNode fp = s.putArray("file_progress");
        for (SimFile f : t.files()) {
            fp.add(t.fileProgress(f.index()));
        }
        s.putNull("error");
        long progress = t.progressBytes();
        long total = t.totalLength();
        s.put("progress_bytes", progress);
        s.put("uploaded_bytes", 0);
        s.put("total_bytes", total);
        boolean finished = t.allPresent();
        s.put("finished", finished);
        if (!"live".equals(state)) {
            s.putNull("live");
            return s;
        }
        ObjectNode live = s.putObject("live");
        ObjectNode snap = live.putObject("snapshot");
        snap.put("downloaded_and_checked_bytes", progress);
        snap.put("fetched_bytes", progress);
        snap.put("uploaded_bytes", 0);
        snap.put("downloaded_and_checked_pieces", t.presentPieces());
        long pieceMs = rate > 0 ? (long) (t.pieceLength() * 1000.0 / rate) : 0;
        snap.put("total_piece_download_ms", pieceMs * t.presentPieces());
        ObjectNode peers = snap.putObject("peer_stats");
        int livePeers = finished || rate == 0 ? 0 : 1;
        peers.put("queued", 0);
        peers.put("connecting", 0);
        peers.put("live", livePeers);
        peers.put("seen", 1);
        peers.put("dead", 0);
        peers.put("not_needed", finished ? 1 : 0);
        peers.put("steals", 0);
        if (pieceMs > 0) {
            ObjectNode avg = live.putObject("average_piece_download_time");
            avg.put("secs", pieceMs / 1000);
            avg.put("nanos", (pieceMs % 1000) * 1_000_000);
        } else {
            live.putNull("average_piece_download_time");
        }
        double mbps = finished ? 0 : rate / MIB;
        live.set("download_speed", speed(mbps));
        live.set("upload_speed", speed(0));
        if (finished || rate == 0) {
            live.putNull("time_remaining");
        } else {
            long secs = (total - progress + rate - 1) / rate;
            ObjectNode tr = live.putObject("time_remaining");
            ObjectNode dur = tr.putObject("duration");
            dur.put("secs", secs);
            dur.put("nanos", 0);
            tr.put("human_readable", humanDuration(secs));
        }
        return s;
    }

    /** {@code GET /stats} */
    static ObjectNode sessionStats(List<SimTorrent> torrents, long rate, long uptimeSeconds) {
        long fetched = 0;
        boolean downloading = false;
        for (SimTorrent t : torrents) {
            fetched += t.progressBytes();
            downloading |= !t.allPresent() && !t.isPaused();
        }
        ObjectNode s = MAPPER.createObjectNode();
        ObjectNode c = s.putObject("counters");
        c.put("fetched_bytes", fetched);
        c.put("uploaded_bytes", 0);
        c.put("blocked_incoming", 0);
        c.put("blocked_outgoing", 0);
        ObjectNode p = s.putObject("peers");
        p.put("queued", 0);
        p.put("connecting", 0);
        p.put("live", downloading && rate > 0 ? 1 : 0);
        p.put("seen", torrents.isEmpty() ? 0 : 1);
        p.put("dead", 0);
        p.put("not_needed", 0);
        p.put("steals", 0);
        s.set("download_speed", speed(downloading ? rate / MIB : 0));
        s.set("upload_speed", speed(0));
        s.put("uptime_seconds", uptimeSeconds);
        return s;
    }

    /** Answer of {@code POST /torrents}. */
    static ObjectNode addResponse(SimTorrent t, RqbitVersion v, boolean listOnly) {
        ObjectNode r = MAPPER.createObjectNode();
        if (listOnly) {
            r.putNull("id");
        } else {
            r.put("id", t.id());
        }
        r.set("details", details(t, v));
        r.put("output_folder", t.outputFolder());
        r.putArray("seen_peers");
        return r;
    }

    /** rqbit's ApiError document; {@code id} may be null. */
    static byte[] error(HttpResponseStatus status, String kind, String human, Long id) {
        ObjectNode e = MAPPER.createObjectNode();
        e.put("error_kind", kind);
        e.put("human_readable", human);
        e.put("status", status.code());
        e.put("status_text", status.code() + " " + status.reasonPhrase());
        if (id != null) {
            e.put("id", id);
        }
        return bytes(e);
    }

    private static ObjectNode speed(double mbps) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("mbps", mbps);
        o.put("human_readable", String.format(Locale.ROOT, "%.2f MiB/s", mbps));
        return o;
    }

    private static String humanDuration(long secs) {
        if (secs < 60) {
            return secs + "s";
        }
        if (secs < 3600) {
            return (secs / 60) + "m" + (secs % 60) + "s";
        }
        return (secs / 3600) + "h" + (secs % 3600 / 60) + "m";
    }
}
