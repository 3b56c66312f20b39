package io.fuseengine.sim;

import com.fasterxml.jackson.core.JsonProcessingException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;

import static io.fuseengine.sim.FaultInjector.Fault;
import static io.fuseengine.sim.FaultInjector.Target;
import static io.fuseengine.sim.SimTestSupport.JSON;
import static io.fuseengine.sim.SimTestSupport.eventually;
import static io.fuseengine.sim.SimTestSupport.expected;
import static io.fuseengine.sim.SimTestSupport.get;
import static io.fuseengine.sim.SimTestSupport.getJson;
import static io.fuseengine.sim.SimTestSupport.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FaultInjectionTest {
    private static final int LEN = 2_000_000;
    private RqbitSim sim;
    private SimTorrent torrent;
    private SimFile file;
    private String stream;

    @BeforeEach
    void setUp() {
        sim = RqbitSim.start(SimConfig.builder().build());
        torrent = sim.addTorrent(TorrentSpec.singleFile("f.mkv", LEN));
        file = torrent.files().get(0);
        stream = "/torrents/" + torrent.id() + "/stream/0";
    }

    @AfterEach
    void tearDown() {
        sim.close();
    }

    @Test
    void shouldNeverAnswerWhenStalledBeforeHeaders() throws Exception {
        FaultRule rule = sim.faults().inject(Fault.STALL_BEFORE_HEADERS, Target.STREAMS, null, 1);
        try (RawHttp c = new RawHttp(sim.port(), 300)) {
            c.send("GET", stream, "Range: bytes=0-");
            assertThatThrownBy(c::read).isInstanceOf(SocketTimeoutException.class);
            assertThat(sim.stats().openStreams()).isZero();
        }
        assertThat(rule.hits()).isEqualTo(1);
        assertThat(get(sim, stream, "Range", "bytes=0-9").statusCode()).isEqualTo(206);
    }

    @Test
    void shouldSendHeadersButNoBodyWhenStalledAfterHeadersAndReleaseOnClientClose() throws Exception {
        sim.faults().inject(Fault.STALL_AFTER_HEADERS, Target.STREAMS, null, -1);
        try (RawHttp c = new RawHttp(sim.port(), 300)) {
            c.send("GET", stream, "Range: bytes=100-");
            RawHttp.Head h = c.readHead();
            assertThat(h.status).isEqualTo(206);
            assertThatThrownBy(c::read).isInstanceOf(SocketTimeoutException.class);
            assertThat(sim.stats().openStreams()).isEqualTo(1);
        }
        assertThat(eventually(() -> sim.stats().openStreams() == 0, 2000)).isTrue();
        assertThat(eventually(() -> sim.stats().openConnections() == 0, 2000)).isTrue();
    }

    @Test
    void shouldEndStallsCleanlyWhenSimStops() throws Exception {
        sim.faults().inject(Fault.STALL_AFTER_HEADERS, Target.STREAMS, null, -1);
        try (RawHttp c = new RawHttp(sim.port(), 2000)) {
            c.send("GET", stream);
            assertThat(c.readHead().status).isEqualTo(200);
            sim.stop();
            assertThat(c.read()).isEqualTo(-1);
        }
        assertThat(sim.stats().openStreams()).isZero();
        assertThat(sim.stats().openConnections()).isZero();
    }

    @Test
    void shouldDripBodySlowly() throws Exception {
        sim.faults().slowDripBytesPerSecond(2000);
        FaultRule rule = sim.faults().inject(Fault.SLOW_DRIP, Target.STREAMS, torrent.infoHash(), 1);
        long t0 = System.nanoTime();
        HttpResponse<byte[]> r = get(sim, stream, "Range", "bytes=1000-1599");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(r.body()).isEqualTo(expected(file, 1000, 600));
        assertThat(ms).isGreaterThanOrEqualTo(200);
        assertThat(rule.hits()).isEqualTo(1);
    }

    @Test
    void shouldResetConnectionMidBody() throws Exception {
        sim.faults().inject(Fault.RESET_MID_BODY, Target.STREAMS, null, 1);
        assertThatThrownBy(() -> get(sim, stream)).isInstanceOf(IOException.class);
        assertThat(eventually(() -> sim.stats().openStreams() == 0, 2000)).isTrue();
        assertThat(get(sim, stream, "Range", "bytes=0-0").statusCode()).isEqualTo(206);
    }

    @Test
    void shouldSendTcpResetAfterAboutHalfTheBody() throws Exception {
        sim.faults().inject(Fault.RESET_MID_BODY, Target.STREAMS, torrent.infoHash(), 1);
        try (RawHttp c = new RawHttp(sim.port())) {
            c.send("GET", stream, "Range: bytes=0-999999");
            RawHttp.Head h = c.readHead();
            assertThat(h.contentLength()).isEqualTo(1_000_000);
            // data sent before the RST may or may not be delivered; the connection must end with a reset, not EOF
            assertThatThrownBy(() -> c.readBody(1_000_000)).isInstanceOf(java.net.SocketException.class)
                    .hasMessageContaining("reset");
        }
    }

    @Test
    void shouldAnswerErrorJsonFor500And503() throws Exception {
        sim.faults().inject(Fault.STATUS_500, Target.STREAMS, null, 1);
        sim.faults().inject(Fault.STATUS_503, Target.METADATA, null, 1);
        HttpResponse<byte[]> a = get(sim, stream);
        assertThat(a.statusCode()).isEqualTo(500);
        assertThat(json(a).get("error_kind").asText()).isEqualTo("internal_error");
        HttpResponse<byte[]> b = get(sim, "/torrents");
        assertThat(b.statusCode()).isEqualTo(503);
        assertThat(json(b).get("status").asInt()).isEqualTo(503);
        assertThat(get(sim, "/torrents").statusCode()).isEqualTo(200);
    }

    @Test
    void shouldDeclareFullLengthButSendHalfWhenTruncated() throws Exception {
        sim.faults().inject(Fault.TRUNCATED_BODY, Target.STREAMS, null, 1);
        try (RawHttp c = new RawHttp(sim.port())) {
            c.send("GET", stream, "Range: bytes=0-99999");
            RawHttp.Head h = c.readHead();
            assertThat(h.contentLength()).isEqualTo(100_000);
            byte[] body = c.readBody(100_000);
            assertThat(body).hasSize(50_000).isEqualTo(expected(file, 0, 50_000));
            assertThat(c.read()).isEqualTo(-1);
        }
    }

    @Test
    void shouldServeBodyFromAWrongStartWhenContentRangeIsWrong() throws Exception {
        sim.faults().inject(Fault.WRONG_CONTENT_RANGE, Target.STREAMS, null, 1);
        HttpResponse<byte[]> r = get(sim, stream, "Range", "bytes=10000-29999");
        assertThat(r.statusCode()).isEqualTo(206);
        String cr = r.headers().firstValue("content-range").orElseThrow();
        long start = Long.parseLong(cr.substring("bytes ".length(), cr.indexOf('-')));
        assertThat(start).isNotEqualTo(10000);
        assertThat(cr).endsWith("-29999/" + LEN);
        assertThat(r.body()).isEqualTo(expected(file, start, (int) (30000 - start)));
    }

    @Test
    void shouldAnswerInitializingOnStreamsAndStats() throws Exception {
        sim.faults().inject(Fault.INITIALIZING, Target.ALL, null, 2);
        HttpResponse<byte[]> r = get(sim, stream);
        assertThat(r.statusCode()).isEqualTo(500);
        assertThat(json(r).get("human_readable").asText()).isEqualTo("invalid state: initializing");
        assertThat(json(r).get("error_kind").asText()).isEqualTo("internal_error");
        assertThat(getJson(sim, "/torrents/" + torrent.id()).get("files")).hasSize(1); // details unaffected
        assertThat(getJson(sim, "/torrents/" + torrent.id() + "/stats/v1").get("state").asText())
                .isEqualTo("initializing");
        assertThat(getJson(sim, "/torrents/" + torrent.id() + "/stats/v1").get("state").asText()).isEqualTo("live");
    }

    @Test
    void shouldServeMalformedAndTruncatedJson() throws Exception {
        sim.faults().inject(Fault.MALFORMED_JSON, Target.METADATA, null, 1);
        sim.faults().inject(Fault.TRUNCATED_JSON, Target.METADATA, null, 1);
        HttpResponse<byte[]> bad = get(sim, "/torrents");
        assertThat(bad.statusCode()).isEqualTo(200);
        assertThatThrownBy(() -> JSON.readTree(bad.body())).isInstanceOf(JsonProcessingException.class);
        HttpResponse<byte[]> cut = get(sim, "/torrents/" + torrent.id());
        assertThat(cut.headers().firstValue("content-length")).hasValue(String.valueOf(cut.body().length));
        assertThatThrownBy(() -> JSON.readTree(cut.body())).isInstanceOf(JsonProcessingException.class);
        assertThat(getJson(sim, "/torrents").get("torrents")).hasSize(1);
    }

    @Test
    void shouldOnlyAffectTheTargetedTorrentAndStopAfterRemove() throws Exception {
        SimTorrent other = sim.addTorrent(TorrentSpec.singleFile("other", 100));
        FaultRule rule = sim.faults().inject(Fault.STATUS_503, Target.ALL, other.infoHash(), -1);
        assertThat(get(sim, stream, "Range", "bytes=0-0").statusCode()).isEqualTo(206);
        assertThat(get(sim, "/torrents/" + other.id() + "/stream/0").statusCode()).isEqualTo(503);
        assertThat(get(sim, "/torrents/" + other.id()).statusCode()).isEqualTo(503);
        assertThat(rule.hits()).isEqualTo(2);
        rule.remove();
        assertThat(get(sim, "/torrents/" + other.id()).statusCode()).isEqualTo(200);
        sim.faults().inject(Fault.STATUS_500, Target.ALL, null, -1);
        sim.faults().clear();
        assertThat(get(sim, "/torrents").statusCode()).isEqualTo(200);
    }
}
