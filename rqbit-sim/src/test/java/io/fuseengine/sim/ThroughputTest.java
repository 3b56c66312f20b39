package io.fuseengine.sim;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Serving a generated 1 GiB file over loopback: ≥ 1 GB/s on an idle machine. */
class ThroughputTest {

    @Test
    void shouldStreamOneGibibyteQuickly() throws Exception {
        long len = 1L << 30;
        try (RqbitSim sim = RqbitSim.start(SimConfig.builder().build())) {
            SimTorrent t = sim.addTorrent(TorrentSpec.singleFile("big.bin", len));
            try (RawHttp c = new RawHttp(sim.port(), 10_000)) {
                c.exchange("GET", "/torrents/" + t.id() + "/stream/0", "Range: bytes=0-" + (64 << 20));  // warm-up
                long t0 = System.nanoTime();
                c.send("GET", "/torrents/" + t.id() + "/stream/0");
                RawHttp.Head h = c.readHead();
                long got = c.drain(h.contentLength());
                double seconds = (System.nanoTime() - t0) / 1e9;
                double gbPerS = got / seconds / 1e9;
                System.out.printf("rqbit-sim served %d bytes in %.2f s = %.2f GB/s%n", got, seconds, gbPerS);
                assertThat(got).isEqualTo(len);
                assertThat(sim.stats().streamBytesServed()).isEqualTo(len + (64 << 20) + 1);
                // loose bound: shared 2-core machines under paranoid leak detection
                assertThat(gbPerS).isGreaterThan(0.1);
            }
        }
    }
}
