package io.fuseengine.sim;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.io.TempDir;

import static io.fuseengine.sim.SimTestSupport.get;
import static io.fuseengine.sim.SimTestSupport.getJson;
import static org.assertj.core.api.Assertions.assertThat;

class SampleLibraryTest {

    @Test
    void shouldInstallSampleTorrentsWithHostileAndUnicodeComponentsIntact() throws Exception {
        try (RqbitSim sim = RqbitSim.start(SimConfig.builder().build())) {
            List<SimTorrent> added = SampleLibrary.install(sim, false);
            assertThat(added).extracting(SimTorrent::name).containsExactly(SampleLibrary.BIG_BUCK_BUNNY,
                    SampleLibrary.SOLO, SampleLibrary.UNICODE, SampleLibrary.HOSTILE, SampleLibrary.ZERO);
            SimTorrent bunny = added.get(0);
            assertThat(bunny.files()).extracting(SimFile::padding).containsExactly(false, true, false, false);
            assertThat(bunny.files().get(0).length()).isEqualTo(310_380);
            assertThat(bunny.files().get(2).offsetInTorrent() % bunny.pieceLength()).isZero();

            SimTorrent hostile = added.get(3);
            JsonNode files = getJson(sim, "/torrents/" + hostile.id()).get("files");
            List<String> comps = new ArrayList<>();
            files.forEach(f -> comps.add(f.get("components").get(0).asText()));
            assertThat(comps).contains("..", ".", "a/b", "x\u0000y", "ctl\u0001", "dup.txt");
            assertThat(files.get(2).get("name").asText()).isEqualTo(files.get(6).get("name").asText()); // clash

            SimTorrent unicode = added.get(2);
            JsonNode u = getJson(sim, "/torrents/" + unicode.infoHash());
            assertThat(u.get("name").asText()).isEqualTo("Ünïcødé 日本語 🎬");
            assertThat(u.get("files").get(1).get("components").get(0).asText()).isEqualTo("字幕");
            String raw = new String(get(sim, "/torrents/" + unicode.id()).body(), StandardCharsets.UTF_8);
            assertThat(raw).contains("\"name\":\"Ünïcødé 日本語 🎬\"").doesNotContain("\\uD83C");
            String hostileRaw = new String(get(sim, "/torrents/" + hostile.id()).body(), StandardCharsets.UTF_8);
            assertThat(hostileRaw).contains("\"x\\u0000y\"").contains("\"ctl\\u0001\"");
            String fname = URLEncoder.encode("Ünïcødé 日本語 🎬.mkv", StandardCharsets.UTF_8);
            HttpResponse<byte[]> r = get(sim, "/torrents/" + unicode.id() + "/stream/0/" + fname, "Range", "bytes=0-9");
            assertThat(r.statusCode()).isEqualTo(206);
            assertThat(r.headers().firstValue("content-type")).hasValue("video/x-matroska");

            SimTorrent zero = added.get(4);
            assertThat(zero.files().get(0).length()).isZero();
        }
    }

    @Test
    void shouldServeFilesFromSourceDirectory(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("show/season 1"));
        byte[] content = "hello from disk".getBytes(StandardCharsets.UTF_8);
        Files.write(dir.resolve("show/season 1/ep1.mkv"), content);
        Files.write(dir.resolve("show/readme.txt"), new byte[] {1, 2, 3});
        try (RqbitSim sim = RqbitSim.start(SimConfig.builder().build())) {
            SimTorrent t = sim.addTorrent(TorrentSpec.fromPath(dir.resolve("show")));
            assertThat(t.name()).isEqualTo("show");
            assertThat(t.files()).extracting(SimFile::components)
                    .containsExactly(List.of("readme.txt"), List.of("season 1", "ep1.mkv"));
            HttpResponse<byte[]> r = get(sim, "/torrents/" + t.id() + "/stream/1", "Range", "bytes=6-");
            assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("from disk");
            assertThat(getJson(sim, "/torrents/" + t.id()).get("output_folder").asText())
                    .isEqualTo(dir.resolve("show").toAbsolutePath().normalize().toString());

            SimTorrent single = sim.addTorrent(TorrentSpec.fromPath(dir.resolve("show/readme.txt")));
            assertThat(single.files().get(0).components()).containsExactly("readme.txt");
            assertThat(get(sim, "/torrents/" + single.id() + "/stream/0").body()).containsExactly(1, 2, 3);
        }
    }
}
