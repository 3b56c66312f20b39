package io.fuseengine.sim;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Serving a generated file over loopback. The size defaults to 256 MiB to keep the suite fast; run with
 * {@code -Dsim.throughput.mib=1024 -Dfe.test.flags=-Dio.netty.leakDetection.level=disabled} for the 1 GiB figure
 * (≥ 1 GB/s on an idle machine; paranoid leak detection, the default in tests, costs about 3×).
 */
class ThroughputTest {

    @Test
    void shouldStreamLargeFileWholeWithBackpressure() throws Exception {
        long len = Long.getLong("sim.throughput.mib", 256) << 20;
        try (RqbitSim sim = RqbitSim.start(SimConfig.builder().build())) {
            SimTorrent t = sim.addTorrent(TorrentSpec.singleFile("big.bin", len));
            try (RawHttp c = new RawHttp(sim.port(), 10_000)) {
                c.exchange("GET", "/torrents/" + t.id() + "/stream/0", "Range: bytes=0-" + (16 << 20));  // warm-up
                long t0 = System.nanoTime();
                c.send("GET", "/torrents/" + t.id() + "/stream/0");
                RawHttp.Head h = c.readHead();
                long got = c.drain(h.contentLength());
                double seconds = (System.nanoTime() - t0) / 1e9;
                double gbPerS = got / seconds / 1e9;
                System.out.printf("rqbit-sim served %d bytes in %.2f s = %.2f GB/s%n", got, seconds, gbPerS);
                assertThat(got).isEqualTo(len);
                assertThat(sim.stats().streamBytesServed()).isEqualTo(len + (16 << 20) + 1);
            }
        }
    }
}
