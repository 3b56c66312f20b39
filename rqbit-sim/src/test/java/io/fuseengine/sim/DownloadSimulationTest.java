package io.fuseengine.sim;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.net.SocketTimeoutException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.fuseengine.sim.SimTestSupport.eventually;
import static io.fuseengine.sim.SimTestSupport.expected;
import static io.fuseengine.sim.SimTestSupport.getJson;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DownloadSimulationTest {
    private static final int PIECE = 65_536;
    private RqbitSim sim;

    @AfterEach
    void tearDown() {
        if (sim != null) {
            sim.close();
        }
    }

    @Test
    void shouldCompleteReadOfMissingPieceOnceItArrives() throws Exception {
        sim = RqbitSim.start(SimConfig.builder().downloadRateBytesPerSecond(2L << 20).build());
        SimTorrent t = sim.addTorrent(TorrentSpec.builder("slow").pieceLength(PIECE).file(512L * PIECE, "v.mp4").build());
        assertThat(t.presentPieces()).isLessThan(t.totalPieces());
        int target = 400;
        assertThat(t.hasPiece(target)).isFalse();
        long start = (long) target * PIECE + 10;
        HttpResponse<byte[]> r = SimTestSupport.get(sim, "/torrents/" + t.id() + "/stream/0",
                "Range", "bytes=" + start + "-" + (start + 999));
        assertThat(r.statusCode()).isEqualTo(206);
        assertThat(r.body()).isEqualTo(expected(t.files().get(0), start, 1000));
        assertThat(t.hasPiece(target)).isTrue();
        // the stream was prioritised: nothing forces the downloader to have reached piece 400 in order (~12 s at this rate)
        assertThat(t.presentPieces()).isLessThan(t.totalPieces());
    }

    @Test
    void shouldDownloadEverythingAtTheConfiguredRate() throws Exception {
        sim = RqbitSim.start(SimConfig.builder().downloadRateBytesPerSecond(8L << 20).build());
        SimTorrent t = sim.addTorrent(TorrentSpec.builder("all").pieceLength(PIECE).file(32L * PIECE, "a").build());
        long t0 = System.nanoTime();
        assertThat(eventually(() -> t.presentPieces() == t.totalPieces(), 5000)).isTrue();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(ms).isGreaterThanOrEqualTo(150); // 2 MiB at 8 MiB/s ≈ 250 ms
        assertThat(getJson(sim, "/torrents/" + t.id() + "/stats/v1").get("finished").asBoolean()).isTrue();
    }

    @Test
    void shouldStallStreamOnMissingPieceUntilMarkedPresent() throws Exception {
        sim = RqbitSim.start(SimConfig.builder().build());
        SimTorrent t = sim.addTorrent(TorrentSpec.builder("m").pieceLength(PIECE).file(8L * PIECE, "f").build());
        t.markPieceMissing(3);
        try (RawHttp c = new RawHttp(sim.port(), 300)) {
            c.send("GET", "/torrents/" + t.id() + "/stream/0", "Range: bytes=" + (3L * PIECE - 100) + "-");
            RawHttp.Head h = c.readHead();
            assertThat(h.status).isEqualTo(206);
            assertThat(c.readBody(100)).isEqualTo(expected(t.files().get(0), 3L * PIECE - 100, 100));
            assertThatThrownBy(c::read).isInstanceOf(SocketTimeoutException.class);
            assertThat(t.waiterCount()).isEqualTo(1);
            t.markPiecePresent(3);
            assertThat(c.readBody(5L * PIECE)).isEqualTo(expected(t.files().get(0), 3L * PIECE, 5 * PIECE));
        }
        assertThat(eventually(() -> sim.stats().openStreams() == 0, 2000)).isTrue();
    }

    @Test
    void shouldDropPieceWaiterWhenClientCloses() throws Exception {
        sim = RqbitSim.start(SimConfig.builder().build());
        SimTorrent t = sim.addTorrent(TorrentSpec.builder("w").pieceLength(PIECE).file(4L * PIECE, "f").build());
        t.markAllPiecesMissing();
        try (RawHttp c = new RawHttp(sim.port(), 2000)) {
            c.send("GET", "/torrents/" + t.id() + "/stream/0");
            assertThat(c.readHead().status).isEqualTo(200);
            assertThat(eventually(() -> t.waiterCount() == 1, 2000)).isTrue();
        }
        assertThat(eventually(() -> t.waiterCount() == 0 && sim.stats().openStreams() == 0, 2000)).isTrue();
    }

    @Test
    void shouldNeverDeliverMissingPiecesOfPausedTorrent() throws Exception {
        sim = RqbitSim.start(SimConfig.builder().downloadRateBytesPerSecond(64L << 20).build());
        SimTorrent t = sim.addTorrent(TorrentSpec.builder("p").pieceLength(PIECE).file(8L * PIECE, "f").build());
        assertThat(SimTestSupport.post(sim, "/torrents/" + t.id() + "/pause", new byte[0]).statusCode()).isEqualTo(200);
        t.markAllPiecesMissing();
        CompletableFuture<HttpResponse<byte[]>> read = SimTestSupport.CLIENT.sendAsync(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                        sim.baseUrl() + "/torrents/" + t.id() + "/stream/0")).header("Range", "bytes=0-99").build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(eventually(() -> t.waiterCount() == 1, 2000)).isTrue();
        assertThat(t.presentPieces()).isZero();
        assertThat(SimTestSupport.post(sim, "/torrents/" + t.id() + "/start", new byte[0]).statusCode())
                .isEqualTo(200);
        HttpResponse<byte[]> r = read.get(5, TimeUnit.SECONDS);
        assertThat(r.body()).isEqualTo(expected(t.files().get(0), 0, 100));
    }

    @Test
    void shouldCloseStreamsOfForgottenTorrent() throws Exception {
        sim = RqbitSim.start(SimConfig.builder().build());
        SimTorrent t = sim.addTorrent(TorrentSpec.builder("g").pieceLength(PIECE).file(4L * PIECE, "f").build());
        t.markAllPiecesMissing();
        try (RawHttp c = new RawHttp(sim.port(), 2000)) {
            c.send("GET", "/torrents/" + t.id() + "/stream/0");
            assertThat(c.readHead().status).isEqualTo(200);
            assertThat(eventually(() -> t.waiterCount() == 1, 2000)).isTrue();
            assertThat(sim.forget(t.infoHash())).isTrue();
            assertThat(c.read()).isEqualTo(-1);
        }
        assertThat(eventually(() -> sim.stats().openStreams() == 0, 2000)).isTrue();
    }
}
