package io.fuseengine.sim;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.fuseengine.sim.SimTestSupport.getJson;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LifecycleTest {

    @Test
    void shouldRenumberIdsButKeepInfoHashesOnRestart() throws Exception {
        try (RqbitSim sim = RqbitSim.start(SimConfig.builder().build())) {
            SimTorrent a = sim.addTorrent(TorrentSpec.singleFile("a", 10));
            SimTorrent b = sim.addTorrent(TorrentSpec.singleFile("b", 10));
            SimTorrent c = sim.addTorrent(TorrentSpec.singleFile("c", 10));
            sim.forget(String.valueOf(b.id()));
            int port = sim.port();
            long oldMax = 2;
            Map<String, Long> before = idsByHash(getJson(sim, "/torrents"));

            sim.restart();

            assertThat(sim.port()).isEqualTo(port);
            Map<String, Long> after = idsByHash(getJson(sim, "/torrents"));
            assertThat(after.keySet()).isEqualTo(before.keySet());
            assertThat(after.values()).allMatch(id -> id > oldMax);
            assertThat(after.get(a.infoHash())).isNotEqualTo(before.get(a.infoHash()));
            assertThat(after.get(c.infoHash())).isLessThan(after.get(a.infoHash())); // reversed order
            assertThat(a.id()).isEqualTo(after.get(a.infoHash()));
            assertThat(getJson(sim, "/torrents/" + a.infoHash()).get("id").asLong()).isEqualTo(a.id());
            SimTorrent d = sim.addTorrent(TorrentSpec.singleFile("d", 10));
            assertThat(d.id()).isGreaterThan(a.id());
        }
    }

    @Test
    void shouldRefuseConnectionsWhileStoppedAndServeAgainAfterRestart() throws Exception {
        try (RqbitSim sim = RqbitSim.start(SimConfig.builder().build())) {
            sim.addTorrent(TorrentSpec.singleFile("x", 10));
            RawHttp idle = new RawHttp(sim.port());
            assertThat(idle.exchange("GET", "/").status()).isEqualTo(200);
            sim.stop();
            assertThat(idle.read()).isEqualTo(-1);
            idle.close();
            assertThatThrownBy(() -> new Socket().connect(new InetSocketAddress("127.0.0.1", sim.port()), 1000))
                    .isInstanceOf(ConnectException.class);
            assertThat(sim.torrents()).hasSize(1);
            sim.restart();
            assertThat(getJson(sim, "/torrents").get("torrents")).hasSize(1);
        }
    }

    @Test
    void shouldFreePortOnClose() throws Exception {
        RqbitSim sim = RqbitSim.start(SimConfig.builder().build());
        int port = sim.port();
        try (RawHttp c = new RawHttp(port)) {
            assertThat(c.exchange("GET", "/torrents").status()).isEqualTo(200);
            sim.close();
            assertThat(c.read()).isEqualTo(-1);
        }
        sim.close(); // idempotent
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress("127.0.0.1", port));
            assertThat(s.getLocalPort()).isEqualTo(port);
        }
    }

    @Test
    void shouldBindRequestedPort() throws IOException {
        int free;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            free = s.getLocalPort();
        }
        try (RqbitSim sim = RqbitSim.start(SimConfig.builder().port(free).build())) {
            assertThat(sim.port()).isEqualTo(free);
            assertThat(sim.baseUrl()).isEqualTo("http://127.0.0.1:" + free);
        }
    }

    @Test
    void shouldTrackOpenConnectionsAndPeakStreams() throws Exception {
        try (RqbitSim sim = RqbitSim.start(SimConfig.builder().build())) {
            SimTorrent t = sim.addTorrent(TorrentSpec.singleFile("s", 1 << 20));
            t.markAllPiecesMissing();
            List<RawHttp> clients = List.of(new RawHttp(sim.port()), new RawHttp(sim.port()), new RawHttp(sim.port()));
            for (RawHttp c : clients) {
                c.send("GET", "/torrents/" + t.id() + "/stream/0");
                assertThat(c.readHead().status).isEqualTo(200);
            }
            assertThat(sim.stats().openStreams()).isEqualTo(3);
            assertThat(sim.stats().peakOpenStreams()).isEqualTo(3);
            assertThat(sim.stats().openConnections()).isEqualTo(3);
            for (RawHttp c : clients) {
                c.close();
            }
            assertThat(SimTestSupport.eventually(() -> sim.stats().openStreams() == 0, 2000)).isTrue();
            assertThat(sim.stats().peakOpenStreams()).isEqualTo(3);
            sim.stats().resetPeak();
            assertThat(sim.stats().peakOpenStreams()).isZero();
            assertThat(sim.stats().streamRequests()).isEqualTo(3);
            assertThat(sim.stats().rangeRequests(t.infoHash(), 0)).isEqualTo(3);
        }
    }

    private static Map<String, Long> idsByHash(JsonNode list) {
        Map<String, Long> m = new HashMap<>();
        list.get("torrents").forEach(n -> m.put(n.get("info_hash").asText(), n.get("id").asLong()));
        return m;
    }
}
