package io.fuseengine.sim;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static io.fuseengine.sim.SimTestSupport.get;
import static io.fuseengine.sim.SimTestSupport.getJson;
import static io.fuseengine.sim.SimTestSupport.json;
import static io.fuseengine.sim.SimTestSupport.post;
import static org.assertj.core.api.Assertions.assertThat;

class MetadataApiTest {
    private RqbitSim sim;

    private RqbitSim start(RqbitVersion v) {
        sim = RqbitSim.start(SimConfig.builder().version(v).build());
        return sim;
    }

    @AfterEach
    void tearDown() {
        if (sim != null) {
            sim.close();
        }
    }

    private SimTorrent addBunny() {
        return sim.addTorrent(TorrentSpec.builder("Big Buck Bunny")
                .file(310380, "poster.jpg")
                .paddingFile(262144 * 2 - 310380)
                .file(3_000_000, "video", "Big Buck Bunny.mp4")
                .build());
    }

    @Test
    void shouldDescribeApiAndVersionAtRoot() throws Exception {
        for (RqbitVersion v : RqbitVersion.values()) {
            try (RqbitSim s = RqbitSim.start(SimConfig.builder().version(v).build())) {
                sim = s;
                JsonNode root = getJson(s, "/");
                assertThat(root.get("version").asText()).isEqualTo(v.versionString());
                assertThat(root.get("server").asText()).isEqualTo("rqbit");
                assertThat(root.get("apis").has("GET /torrents")).isTrue();
            }
        }
        sim = null;
        assertThat(RqbitVersion.V9.versionString()).isEqualTo("9.0.1");
        assertThat(RqbitVersion.V8.versionString()).isEqualTo("8.0.0");
        assertThat(RqbitVersion.V7.versionString()).isEqualTo("7.0.1");
    }

    @Test
    void shouldListTorrentsWithNameAndOutputFolderOnV9() throws Exception {
        start(RqbitVersion.V9);
        SimTorrent t = addBunny();
        JsonNode list = getJson(sim, "/torrents");
        JsonNode item = list.get("torrents").get(0);
        assertThat(fieldNames(item)).containsExactly("id", "info_hash", "name", "output_folder");
        assertThat(item.get("id").asLong()).isEqualTo(t.id());
        assertThat(item.get("info_hash").asText()).isEqualTo(t.infoHash()).hasSize(40);
        assertThat(item.get("name").asText()).isEqualTo("Big Buck Bunny");
        JsonNode withStats = getJson(sim, "/torrents?with_stats=true").get("torrents").get(0);
        assertThat(withStats.get("stats").get("state").asText()).isEqualTo("live");
    }

    @Test
    void shouldListOnlyIdAndInfoHashOnV7() throws Exception {
        start(RqbitVersion.V7);
        addBunny();
        JsonNode item = getJson(sim, "/torrents").get("torrents").get(0);
        assertThat(fieldNames(item)).containsExactly("id", "info_hash");
    }

    @Test
    void shouldServeDetailsWithTotalPiecesAndAttributesOnV9() throws Exception {
        start(RqbitVersion.V9);
        SimTorrent t = addBunny();
        JsonNode d = getJson(sim, "/torrents/" + t.id());
        assertThat(d.get("id").asLong()).isEqualTo(t.id());
        assertThat(d.get("info_hash").asText()).isEqualTo(t.infoHash());
        assertThat(d.get("total_pieces").asInt()).isEqualTo(t.totalPieces());
        assertThat(t.totalPieces()).isEqualTo((int) ((262144L * 2 + 3_000_000 + 262143) / 262144));
        JsonNode files = d.get("files");
        assertThat(files).hasSize(3);
        JsonNode video = files.get(2);
        assertThat(video.get("name").asText()).isEqualTo("video/Big Buck Bunny.mp4");
        assertThat(video.get("components").get(0).asText()).isEqualTo("video");
        assertThat(video.get("components").get(1).asText()).isEqualTo("Big Buck Bunny.mp4");
        assertThat(video.get("length").asLong()).isEqualTo(3_000_000);
        assertThat(video.get("included").asBoolean()).isTrue();
        assertThat(fieldNames(video.get("attributes"))).containsExactly("symlink", "hidden", "padding", "executable");
        assertThat(files.get(1).get("attributes").get("padding").asBoolean()).isTrue();
        assertThat(files.get(1).get("name").asText()).isEqualTo(".pad/" + (262144 * 2 - 310380));
        assertThat(getJson(sim, "/torrents/" + t.infoHash())).isEqualTo(d);
    }

    @Test
    void shouldOmitTotalPiecesOnV8AndIdAndAttributesOnV7() throws Exception {
        start(RqbitVersion.V8);
        SimTorrent t = addBunny();
        JsonNode d8 = getJson(sim, "/torrents/" + t.id());
        assertThat(d8.has("total_pieces")).isFalse();
        assertThat(d8.has("id")).isTrue();
        assertThat(d8.get("files").get(0).has("attributes")).isTrue();
        sim.close();

        start(RqbitVersion.V7);
        SimTorrent t7 = addBunny();
        JsonNode d7 = getJson(sim, "/torrents/" + t7.id());
        assertThat(d7.has("id")).isFalse();
        assertThat(d7.has("total_pieces")).isFalse();
        assertThat(d7.get("files").get(0).has("attributes")).isFalse();
        assertThat(d7.get("info_hash").asText()).isEqualTo(t7.infoHash());
    }

    @Test
    void shouldReportSingleFileTorrentWithNameAsOnlyComponent() throws Exception {
        start(RqbitVersion.V8);
        SimTorrent t = sim.addTorrent(TorrentSpec.singleFile("solo.iso", 1000));
        JsonNode f = getJson(sim, "/torrents/" + t.id()).get("files").get(0);
        assertThat(f.get("name").asText()).isEqualTo("solo.iso");
        assertThat(f.get("components")).hasSize(1);
        assertThat(f.get("components").get(0).asText()).isEqualTo("solo.iso");
    }

    @Test
    void shouldComputeFileProgressFromPresentPieces() throws Exception {
        start(RqbitVersion.V9);
        SimTorrent t = addBunny();
        t.markAllPiecesMissing();
        t.markPiecePresent(0);   // first 262144 bytes of poster.jpg
        t.markPiecePresent(2);   // first piece of the video
        JsonNode s = getJson(sim, "/torrents/" + t.id() + "/stats/v1");
        assertThat(s.get("state").asText()).isEqualTo("live");
        assertThat(s.get("file_progress").get(0).asLong()).isEqualTo(262144);
        assertThat(s.get("file_progress").get(1).asLong()).isZero();
        assertThat(s.get("file_progress").get(2).asLong()).isEqualTo(262144);
        assertThat(s.get("progress_bytes").asLong()).isEqualTo(2 * 262144);
        assertThat(s.get("total_bytes").asLong()).isEqualTo(t.totalLength());
        assertThat(s.get("finished").asBoolean()).isFalse();
        assertThat(s.get("error").isNull()).isTrue();
        JsonNode snap = s.get("live").get("snapshot");
        assertThat(snap.get("downloaded_and_checked_pieces").asInt()).isEqualTo(2);
        assertThat(snap.get("downloaded_and_checked_bytes").asLong()).isEqualTo(2 * 262144);
        assertThat(s.get("live").get("download_speed").has("mbps")).isTrue();

        t.markAllPiecesPresent();
        JsonNode done = getJson(sim, "/torrents/" + t.id() + "/stats/v1");
        assertThat(done.get("finished").asBoolean()).isTrue();
        assertThat(done.get("file_progress").get(2).asLong()).isEqualTo(3_000_000);
    }

    @Test
    void shouldAnswer404WithErrorJsonForUnknownTorrent() throws Exception {
        start(RqbitVersion.V9);
        HttpResponse<byte[]> r = get(sim, "/torrents/42");
        assertThat(r.statusCode()).isEqualTo(404);
        JsonNode e = json(r);
        assertThat(e.get("error_kind").asText()).isEqualTo("torrent_not_found");
        assertThat(e.get("status").asInt()).isEqualTo(404);
        assertThat(e.get("status_text").asText()).isEqualTo("404 Not Found");
        assertThat(e.get("id").asLong()).isEqualTo(42);
        assertThat(e.get("human_readable").asText()).isNotEmpty();
        assertThat(get(sim, "/torrents/" + "ab".repeat(20) + "/stream/0").statusCode()).isEqualTo(404);
        assertThat(get(sim, "/torrents/42/stats/v1").statusCode()).isEqualTo(404);
    }

    @Test
    void shouldAnswer500WhenForgettingUnknownTorrent() throws Exception {
        start(RqbitVersion.V9);
        HttpResponse<byte[]> r = post(sim, "/torrents/7/forget", new byte[0]);
        assertThat(r.statusCode()).isEqualTo(500);
        assertThat(json(r).get("error_kind").asText()).isEqualTo("internal_error");
        assertThat(post(sim, "/torrents/7/delete", new byte[0]).statusCode()).isEqualTo(500);
    }

    @Test
    void shouldForgetTorrentAndNeverReuseItsId() throws Exception {
        start(RqbitVersion.V9);
        SimTorrent a = sim.addTorrent(TorrentSpec.singleFile("a", 10));
        HttpResponse<byte[]> r = post(sim, "/torrents/" + a.infoHash() + "/forget", new byte[0]);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(get(sim, "/torrents/" + a.id()).statusCode()).isEqualTo(404);
        SimTorrent b = sim.addTorrent(TorrentSpec.singleFile("b", 10));
        assertThat(b.id()).isGreaterThan(a.id());
        assertThat(sim.forget(String.valueOf(b.id()))).isTrue();
        assertThat(sim.forget(String.valueOf(b.id()))).isFalse();
        assertThat(sim.torrents()).isEmpty();
    }

    @Test
    void shouldAnswer400WhenPausingPausedOrStartingLiveTorrent() throws Exception {
        start(RqbitVersion.V9);
        SimTorrent t = sim.addTorrent(TorrentSpec.singleFile("p", 10));
        assertThat(post(sim, "/torrents/" + t.id() + "/start", new byte[0]).statusCode()).isEqualTo(400);
        assertThat(post(sim, "/torrents/" + t.id() + "/pause", new byte[0]).statusCode()).isEqualTo(200);
        assertThat(getJson(sim, "/torrents/" + t.id() + "/stats/v1").get("state").asText()).isEqualTo("paused");
        assertThat(post(sim, "/torrents/" + t.id() + "/pause", new byte[0]).statusCode()).isEqualTo(400);
        assertThat(post(sim, "/torrents/" + t.id() + "/start", new byte[0]).statusCode()).isEqualTo(200);
        assertThat(t.isPaused()).isFalse();
    }

    @Test
    void shouldReturnExistingIdWhenMagnetOfKnownTorrentIsAdded() throws Exception {
        start(RqbitVersion.V9);
        sim.addTorrent(TorrentSpec.singleFile("x", 10));
        SimTorrent t = sim.addTorrent(TorrentSpec.singleFile("y", 10));
        String magnet = "magnet:?xt=urn:btih:" + t.infoHash().toUpperCase() + "&dn=y";
        HttpResponse<byte[]> r = post(sim, "/torrents?overwrite=true", magnet.getBytes(StandardCharsets.UTF_8));
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode j = json(r);
        assertThat(j.get("id").asLong()).isEqualTo(t.id());
        assertThat(j.get("details").get("info_hash").asText()).isEqualTo(t.infoHash());
        assertThat(j.has("output_folder")).isTrue();
        assertThat(j.get("seen_peers").isArray()).isTrue();
    }

    @Test
    void shouldAnswerErrorJsonWhenAddingUnknownMagnetOrUrl() throws Exception {
        start(RqbitVersion.V9);
        HttpResponse<byte[]> r = post(sim, "/torrents",
                ("magnet:?xt=urn:btih:" + "12".repeat(20)).getBytes(StandardCharsets.UTF_8));
        assertThat(r.statusCode()).isEqualTo(500);
        assertThat(json(r).get("error_kind").asText()).isEqualTo("internal_error");
        HttpResponse<byte[]> u = post(sim, "/torrents?is_url=true",
                "http://example.invalid/x.torrent".getBytes(StandardCharsets.UTF_8));
        assertThat(u.statusCode()).isEqualTo(500);
        assertThat(json(u).get("human_readable").asText()).contains("cannot fetch");
    }

    @Test
    void shouldServeBinaryHavesWithBitfieldLengthOnV9() throws Exception {
        start(RqbitVersion.V9);
        SimTorrent t = sim.addTorrent(TorrentSpec.builder("h").pieceLength(16384).file(16384 * 10 - 5, "f").build());
        t.markAllPiecesMissing();
        t.markPiecePresent(0);
        t.markPiecePresent(9);
        HttpResponse<byte[]> r = get(sim, "/torrents/" + t.id() + "/haves", "Accept", "application/octet-stream");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("x-bitfield-len")).hasValue("10");
        assertThat(r.body()).containsExactly((byte) 0x80, (byte) 0x40);
        HttpResponse<byte[]> svg = get(sim, "/torrents/" + t.id() + "/haves");
        assertThat(svg.headers().firstValue("content-type")).hasValue("image/svg+xml");
        assertThat(new String(svg.body(), StandardCharsets.UTF_8)).startsWith("<svg");
    }

    @Test
    void shouldServeTextDumpHavesOnV8AndNoHavesOnV7() throws Exception {
        start(RqbitVersion.V8);
        SimTorrent t = sim.addTorrent(TorrentSpec.builder("h").pieceLength(16384).file(16384 * 3, "f").build());
        t.markPieceMissing(1);
        HttpResponse<byte[]> r = get(sim, "/torrents/" + t.id() + "/haves", "Accept", "application/octet-stream");
        assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("text/plain");
        assertThat(new String(r.body(), StandardCharsets.UTF_8))
                .startsWith("BitSlice<u8, bitvec::order::Msb0> {")
                .contains("bits: 8 }")
                .endsWith("[1, 0, 1, 0, 0, 0, 0, 0]");
        sim.close();
        start(RqbitVersion.V7);
        SimTorrent t7 = sim.addTorrent(TorrentSpec.singleFile("h7", 10));
        assertThat(get(sim, "/torrents/" + t7.id() + "/haves").statusCode()).isEqualTo(404);
    }

    @Test
    void shouldServeBencodedInfoWithPieceLength() throws Exception {
        start(RqbitVersion.V8);
        SimTorrent t = sim.addTorrent(TorrentSpec.builder("m").pieceLength(32768).file(100_000, "d", "f.bin").build());
        HttpResponse<byte[]> r = get(sim, "/torrents/" + t.id() + "/metadata");
        assertThat(r.statusCode()).isEqualTo(200);
        String text = new String(r.body(), StandardCharsets.ISO_8859_1);
        assertThat(text).startsWith("d5:filesl").contains("12:piece lengthi32768e").contains("4:name1:m");
        assertThat(text).contains("6:pieces" + (4 * 20) + ":");
    }

    @Test
    void shouldServeSessionStats() throws Exception {
        start(RqbitVersion.V9);
        sim.addTorrent(TorrentSpec.singleFile("s", 1000));
        JsonNode s = getJson(sim, "/stats");
        assertThat(s.get("counters").get("fetched_bytes").asLong()).isEqualTo(1000);
        assertThat(s.has("uptime_seconds")).isTrue();
    }

    @Test
    void shouldAnswer401WithoutCorrectBasicAuth() throws Exception {
        sim = RqbitSim.start(SimConfig.builder().basicAuth("user", "secret").build());
        HttpResponse<byte[]> none = get(sim, "/torrents");
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(json(none).get("error_kind").asText()).isEqualTo("unauthorized");
        String bad = java.util.Base64.getEncoder().encodeToString("user:wrong".getBytes(StandardCharsets.UTF_8));
        assertThat(get(sim, "/torrents", "Authorization", "Basic " + bad).statusCode()).isEqualTo(401);
        String good = java.util.Base64.getEncoder().encodeToString("user:secret".getBytes(StandardCharsets.UTF_8));
        assertThat(get(sim, "/torrents", "Authorization", "Basic " + good).statusCode()).isEqualTo(200);
    }

    @Test
    void shouldAnswer404ForUnknownRouteAnd400ForInvalidId() throws Exception {
        start(RqbitVersion.V9);
        assertThat(get(sim, "/nope").statusCode()).isEqualTo(404);
        assertThat(get(sim, "/torrents/notanid").statusCode()).isEqualTo(400);
        assertThat(post(sim, "/torrents/0/nope", new byte[0]).statusCode()).isEqualTo(404);
    }

    @Test
    void shouldReturnExistingTorrentWhenSameInfoHashIsAddedAgain() {
        start(RqbitVersion.V9);
        SimTorrent a = sim.addTorrent(TorrentSpec.singleFile("same", 10));
        SimTorrent b = sim.addTorrent(TorrentSpec.singleFile("same", 99));
        assertThat(b).isSameAs(a);
        assertThat(sim.torrent(a.infoHash().toUpperCase())).containsSame(a);
        assertThat(sim.torrent(String.valueOf(a.id()))).containsSame(a);
    }

    @Test
    void shouldUpdateIncludedFiles() throws Exception {
        start(RqbitVersion.V9);
        SimTorrent t = sim.addTorrent(TorrentSpec.builder("u").file(10, "a").file(10, "b").build());
        HttpResponse<byte[]> r = post(sim, "/torrents/" + t.id() + "/update_only_files",
                "{\"only_files\":[1]}".getBytes(StandardCharsets.UTF_8));
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode files = getJson(sim, "/torrents/" + t.id()).get("files");
        assertThat(files.get(0).get("included").asBoolean()).isFalse();
        assertThat(files.get(1).get("included").asBoolean()).isTrue();
    }

    private static List<String> fieldNames(JsonNode n) {
        List<String> names = new ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
