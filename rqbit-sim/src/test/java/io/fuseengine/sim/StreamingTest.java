package io.fuseengine.sim;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;

import static io.fuseengine.sim.SimTestSupport.eventually;
import static io.fuseengine.sim.SimTestSupport.expected;
import static io.fuseengine.sim.SimTestSupport.get;
import static io.fuseengine.sim.SimTestSupport.json;
import static org.assertj.core.api.Assertions.assertThat;

class StreamingTest {
    private static final int LEN = 1_000_003;
    private RqbitSim sim;
    private SimTorrent torrent;
    private SimFile file;

    private void start(RqbitVersion v) {
        sim = RqbitSim.start(SimConfig.builder().version(v).build());
        torrent = sim.addTorrent(TorrentSpec.builder("movie").file(12_345, "poster.jpg")
                .file(LEN, "dir", "movie.mp4").file(0, "empty.txt").build());
        file = torrent.files().get(1);
    }

    @AfterEach
    void tearDown() {
        if (sim != null) {
            sim.close();
        }
    }

    private String streamPath(int idx) {
        return "/torrents/" + torrent.id() + "/stream/" + idx;
    }

    @Test
    void shouldServeWholeFileWith200WithoutRange() throws Exception {
        start(RqbitVersion.V9);
        HttpResponse<byte[]> r = get(sim, streamPath(1));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("accept-ranges")).hasValue("bytes");
        assertThat(r.headers().firstValue("content-type")).hasValue("video/mp4");
        assertThat(r.headers().firstValue("content-length")).hasValue(String.valueOf(LEN));
        assertThat(r.headers().firstValue("content-range")).isEmpty();
        assertThat(r.body()).isEqualTo(expected(file, 0, LEN));
        assertThat(sim.stats().streamBytesServed()).isEqualTo(LEN);
        assertThat(sim.stats().rangeRequests(torrent.infoHash(), 1)).isEqualTo(1);
    }

    @Test
    void shouldServeExactBytesFor206BoundedRangeOnV9() throws Exception {
        start(RqbitVersion.V9);
        HttpResponse<byte[]> r = get(sim, streamPath(1) + "/movie.mp4", "Range", "bytes=300000-431071");
        assertThat(r.statusCode()).isEqualTo(206);
        assertThat(r.headers().firstValue("content-range")).hasValue("bytes 300000-431071/" + LEN);
        assertThat(r.headers().firstValue("content-length")).hasValue("131072");
        assertThat(r.body()).isEqualTo(expected(file, 300_000, 131_072));
    }

    @Test
    void shouldServeToEndOfFileForOpenEndedRange() throws Exception {
        start(RqbitVersion.V7);
        HttpResponse<byte[]> r = get(sim, "/torrents/" + torrent.infoHash() + "/stream/1", "Range", "bytes=999000-");
        assertThat(r.statusCode()).isEqualTo(206);
        assertThat(r.headers().firstValue("content-range")).hasValue("bytes 999000-" + (LEN - 1) + "/" + LEN);
        assertThat(r.body()).isEqualTo(expected(file, 999_000, LEN - 999_000));
    }

    @Test
    void shouldAnswer200WithWholeFileForBoundedRangeOnV8() throws Exception {
        start(RqbitVersion.V8);
        HttpResponse<byte[]> r = get(sim, streamPath(1), "Range", "bytes=100-199");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-range")).isEmpty();
        assertThat(r.body()).isEqualTo(expected(file, 0, LEN));
    }

    @Test
    void shouldAnswer200WithWholeFileForSuffixAndMultiRanges() throws Exception {
        start(RqbitVersion.V9);
        assertThat(get(sim, streamPath(0), "Range", "bytes=-100").statusCode()).isEqualTo(200);
        HttpResponse<byte[]> multi = get(sim, streamPath(0), "Range", "bytes=0-1,5-6");
        assertThat(multi.statusCode()).isEqualTo(200);
        assertThat(multi.body()).hasSize(12_345);
    }

    @Test
    void shouldAnswer416WhenRangeEndsPastEof() throws Exception {
        start(RqbitVersion.V9);
        HttpResponse<byte[]> r = get(sim, streamPath(1), "Range", "bytes=0-" + LEN);
        assertThat(r.statusCode()).isEqualTo(416);
        assertThat(r.headers().firstValue("content-range")).hasValue("bytes */" + LEN);
        assertThat(json(r).get("status").asInt()).isEqualTo(416);
    }

    @Test
    void shouldAnswer416WhenRangeStartsAtOrPastEofOrEndsBeforeStart() throws Exception {
        start(RqbitVersion.V9);
        assertThat(get(sim, streamPath(1), "Range", "bytes=" + LEN + "-").statusCode()).isEqualTo(416);
        assertThat(get(sim, streamPath(1), "Range", "bytes=" + LEN + "-" + (LEN + 5)).statusCode()).isEqualTo(416);
        assertThat(get(sim, streamPath(1), "Range", "bytes=10-9").statusCode()).isEqualTo(416);
        assertThat(get(sim, streamPath(1), "Range", "bytes=" + (LEN - 1) + "-" + (LEN - 1)).statusCode())
                .isEqualTo(206);
    }

    @Test
    void shouldServeEmptyBodyForZeroLengthFileAnd416ForAnyRange() throws Exception {
        start(RqbitVersion.V9);
        HttpResponse<byte[]> r = get(sim, streamPath(2));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEmpty();
        assertThat(r.headers().firstValue("content-type")).hasValue("text/plain");
        assertThat(get(sim, streamPath(2), "Range", "bytes=0-").statusCode()).isEqualTo(416);
        assertThat(get(sim, streamPath(2), "Range", "bytes=0-0").statusCode()).isEqualTo(416);
    }

    @Test
    void shouldAnswer500ForFileIndexPastTheEnd() throws Exception {
        start(RqbitVersion.V9);
        HttpResponse<byte[]> r = get(sim, streamPath(3));
        assertThat(r.statusCode()).isEqualTo(500);
        assertThat(json(r).get("error_kind").asText()).isEqualTo("internal_error");
    }

    @Test
    void shouldServeSeveralRequestsOnOneKeepAliveConnection() throws Exception {
        start(RqbitVersion.V9);
        try (RawHttp c = new RawHttp(sim.port())) {
            RawHttp.Response a = c.exchange("GET", streamPath(1), "Range: bytes=0-65535");
            RawHttp.Response b = c.exchange("GET", streamPath(1), "Range: bytes=500000-");
            RawHttp.Response d = c.exchange("GET", "/torrents/" + torrent.id());
            assertThat(a.status()).isEqualTo(206);
            assertThat(a.body).isEqualTo(expected(file, 0, 65536));
            assertThat(b.status()).isEqualTo(206);
            assertThat(b.body).isEqualTo(expected(file, 500_000, LEN - 500_000));
            assertThat(d.status()).isEqualTo(200);
            assertThat(sim.stats().openConnections()).isEqualTo(1);
        }
        assertThat(eventually(() -> sim.stats().openConnections() == 0, 2000)).isTrue();
    }

    @Test
    void shouldAnswerPipelinedRequestsInOrder() throws Exception {
        start(RqbitVersion.V9);
        try (RawHttp c = new RawHttp(sim.port())) {
            c.send("GET", streamPath(1), "Range: bytes=10-20");
            c.send("GET", streamPath(0), "Range: bytes=0-3");
            RawHttp.Head h1 = c.readHead();
            assertThat(c.readBody(h1.contentLength())).isEqualTo(expected(file, 10, 11));
            RawHttp.Head h2 = c.readHead();
            assertThat(c.readBody(h2.contentLength())).isEqualTo(expected(torrent.files().get(0), 0, 4));
        }
    }

    @Test
    void shouldCloseConnectionWhenClientAsksForConnectionClose() throws Exception {
        start(RqbitVersion.V9);
        try (RawHttp c = new RawHttp(sim.port())) {
            RawHttp.Response r = c.exchange("GET", streamPath(1), "Range: bytes=0-9", "Connection: close");
            assertThat(r.head.header("connection")).isEqualTo("close");
            assertThat(r.body).isEqualTo(expected(file, 0, 10));
            assertThat(c.read()).isEqualTo(-1);
        }
    }

    @Test
    void shouldAnswerHeadWithHeadersOnly() throws Exception {
        start(RqbitVersion.V9);
        try (RawHttp c = new RawHttp(sim.port())) {
            RawHttp.Response r = c.exchange("HEAD", streamPath(1), "Range: bytes=5-");
            assertThat(r.status()).isEqualTo(206);
            assertThat(r.head.contentLength()).isEqualTo(LEN - 5);
            RawHttp.Response next = c.exchange("GET", streamPath(1), "Range: bytes=5-6");
            assertThat(next.body).isEqualTo(expected(file, 5, 2));
        }
    }

    @Test
    void shouldStopProducingWhileClientDoesNotRead() throws Exception {
        sim = RqbitSim.start(SimConfig.builder().build());
        SimTorrent big = sim.addTorrent(TorrentSpec.singleFile("big.bin", 1L << 30));
        try (RawHttp c = new RawHttp(sim.port())) {
            c.send("GET", "/torrents/" + big.id() + "/stream/0");
            RawHttp.Head h = c.readHead();
            assertThat(h.status).isEqualTo(200);
            long[] last = {-1};
            // wait until the served counter stops moving: socket buffers and the outbound buffer are full
            assertThat(eventually(() -> {
                long now = sim.stats().streamBytesServed();
                boolean stable = now == last[0];
                last[0] = now;
                return stable && now > 0;
            }, 5000)).isTrue();
            assertThat(sim.stats().streamBytesServed()).isLessThan(64L << 20);
            assertThat(sim.stats().openStreams()).isEqualTo(1);
        }
        assertThat(eventually(() -> sim.stats().openStreams() == 0, 2000)).isTrue();
    }
}
