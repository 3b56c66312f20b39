package io.fuseengine.transport;

import io.fuseengine.core.read.StreamTarget;
import io.fuseengine.sim.RqbitSim;
import io.fuseengine.sim.RqbitVersion;
import io.fuseengine.sim.SimConfig;
import io.fuseengine.sim.SimFile;
import io.fuseengine.sim.SimTorrent;
import io.fuseengine.sim.TorrentSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static io.fuseengine.transport.TransportHarness.assertBytes;
import static io.fuseengine.transport.TransportHarness.target;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * rqbit before v9.0.0-beta.2 answers a bounded range with 200 and the whole file: the transport must notice, never
 * use that body as if it started at the requested offset, and fall back to open-ended ranges.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LegacyDaemonTest
{
    // small: every legacy read makes the sim stream to end of file until we close, and the sim is slow under
    // PARANOID leak detection
    private static final int FILE_LENGTH = 384 * 1024 + 333;

    @ParameterizedTest
    @EnumSource(value = RqbitVersion.class, names = {"V7", "V8"})
    void shouldReadExactBytesFromDaemonsThatIgnoreBoundedRanges(final RqbitVersion version)
    {
        try (RqbitSim sim = start(version))
        {
            final SimTorrent t = sim.addTorrent(TorrentSpec.builder("old").file(FILE_LENGTH, "x.bin").build());
            final SimFile f = t.files().get(0);
            final StreamTarget target = target(t, f);
            try (TransportHarness h = new TransportHarness(sim, c -> { }))
            {
                final SplittableRandom random = new SplittableRandom(7);
                for (int i = 0; i < 12; i++)
                {
                    final int length = 1 + random.nextInt(16 * 1024);
                    final long offset = i == 0 ? 1000 : random.nextLong(FILE_LENGTH - length);
                    final TransportHarness.Result r = h.read(target, offset, length);
                    assertThat(r.result()).isEqualTo(length);
                    assertBytes(f, offset, r);
                }
                final TransportHarness.Result last = h.read(target, FILE_LENGTH - 1, 1);
                assertThat(last.result()).isEqualTo(1);
                assertBytes(f, FILE_LENGTH - 1, last);

                assertThat(h.transport.legacyMode()).isTrue();
                assertThat(h.transport.errorsTotal()).isZero();
                // every legacy read closes its connection: rqbit must not keep prioritising a finished stream
                assertThat(TransportHarness.eventually(Duration.ofSeconds(3), () -> sim.stats().openStreams() == 0))
                    .as("no stream left open").isTrue();
                assertThat(TransportHarness.eventually(Duration.ofSeconds(3), () -> h.transport.openConnections() == 0))
                    .as("legacy connections closed after use").isTrue();
            }
        }
    }

    @Test
    void shouldNotEngageLegacyModeOnVersionNine()
    {
        try (RqbitSim sim = start(RqbitVersion.V9))
        {
            final SimTorrent t = sim.addTorrent(TorrentSpec.builder("new").file(FILE_LENGTH, "x.bin").build());
            final SimFile f = t.files().get(0);
            try (TransportHarness h = new TransportHarness(sim, c -> { }))
            {
                final TransportHarness.Result r = h.read(target(t, f), 5000, 4096);
                assertThat(r.result()).isEqualTo(4096);
                assertBytes(f, 5000, r);
                assertThat(h.transport.legacyMode()).isFalse();
                assertThat(h.transport.requestsSent()).isEqualTo(1);
            }
        }
    }

    private static RqbitSim start(final RqbitVersion version)
    {
        return RqbitSim.start(SimConfig.builder().version(version).downloadRateBytesPerSecond(0).port(0).build());
    }
}
