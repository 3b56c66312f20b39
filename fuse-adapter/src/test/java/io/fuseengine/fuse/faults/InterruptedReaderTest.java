package io.fuseengine.fuse.faults;

import io.fuseengine.sim.FaultInjector.Fault;
import io.fuseengine.sim.FaultInjector.Target;
import io.fuseengine.sim.FaultRule;
import io.fuseengine.sim.RqbitSim;
import io.fuseengine.sim.SimFile;
import io.fuseengine.sim.SimTorrent;
import io.fuseengine.sim.TorrentSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A reader process blocked in a read of a stalled file is killed (SIGKILL) or interrupted (SIGINT): the kernel
 * abandons or interrupts the FUSE request while the engine still waits on the backend. The process ends promptly,
 * the engine frees the read slot at the latest at the deadline, and later reads of the same range are exact.
 */
@Timeout(90)
class InterruptedReaderTest
{
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(3);

    @TempDir
    Path tmp;

    private FaultMount fx;
    private Process dd;

    @AfterEach
    void cleanUp()
    {
        if (dd != null && dd.isAlive())
        {
            dd.destroyForcibly();
        }
        if (fx != null)
        {
            fx.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"KILL", "INT"})
    void readerSignalledMidReadEndsPromptlyAndTheEngineStaysHealthy(final String signal) throws Exception
    {
        final RqbitSim sim = FaultMount.startSim();
        final SimTorrent stalled = sim.addTorrent(TorrentSpec.builder("stalled").file(8L * 1024 * 1024, "video.bin").file(10, "x.nfo").build());
        final SimTorrent healthy = sim.addTorrent(TorrentSpec.singleFile("healthy.bin", 1024 * 1024));
        fx = FaultMount.start(sim, tmp, c -> c.readTimeout(READ_TIMEOUT));
        final Path video = fx.mnt.resolve("stalled/video.bin");
        final SimFile file = stalled.files().get(0);
        FaultMount.assertContent(video, file, 0, 4096);
        final int baselineThreads = FaultMount.liveThreads();

        final FaultRule rule = sim.faults().inject(Fault.STALL_AFTER_HEADERS, Target.STREAMS, stalled.infoHash(), -1);
        dd = new ProcessBuilder("dd", "if=" + video, "of=/dev/null", "bs=65536", "count=4", "skip=32")
            .redirectErrorStream(true).redirectOutput(tmp.resolve("dd.log").toFile()).start();
        assertThat(FaultMount.await(Duration.ofSeconds(10), () -> rule.hits() > 0 && fx.slotsInUse() > 0))
            .as("dd's read is waiting in the engine").isTrue();
        assertThat(dd.isAlive()).isTrue();

        final long t0 = System.nanoTime();
        assertThat(new ProcessBuilder("kill", "-" + signal, Long.toString(dd.pid())).start().waitFor(5, TimeUnit.SECONDS)).isTrue();
        assertThat(dd.waitFor(READ_TIMEOUT.toMillis() + 3_000, TimeUnit.MILLISECONDS)).as("dd ended after SIG%s", signal).isTrue();
        final Duration toEnd = Duration.ofNanos(System.nanoTime() - t0);
        if ("KILL".equals(signal))
        {
            assertThat(toEnd).as("SIGKILL ends a reader blocked in FUSE at once").isLessThan(Duration.ofSeconds(2));
        }
        else
        {
            assertThat(toEnd).as("SIGINT ends the reader by the read deadline").isLessThan(READ_TIMEOUT.plusSeconds(1));
        }
        assertThat(dd.exitValue()).isNotZero();

        // the engine meanwhile: metadata and other files fine, the abandoned request gives its slot back
        FaultMount.assertContent(fx.mnt.resolve("healthy.bin"), healthy.files().get(0), 4096, 200_000);
        fx.assertNoSlotLeaked();
        sim.faults().clear();
        FaultMount.assertContent(video, file, 32L * 65536, 4 * 65536);
        FaultMount.assertContent(video, file, 5L * 1024 * 1024, 300_000);
        fx.assertNoSlotLeaked();
        FaultMount.assertThreadsBounded(baselineThreads, 12);
    }
}
