package io.fuseengine.fuse.faults;

import io.fuseengine.sim.FaultInjector.Fault;
import io.fuseengine.sim.FaultInjector.Target;
import io.fuseengine.sim.FaultRule;
import io.fuseengine.sim.RqbitSim;
import io.fuseengine.sim.SimFile;
import io.fuseengine.sim.SimTorrent;
import io.fuseengine.sim.TorrentSpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every stream fault the sim can inject, through a real kernel mount: the read ends within read-timeout + 1 s with
 * the documented errno, listing and stat stay fast and other files keep reading while it is in progress, the same
 * range reads correctly once the fault is gone (no byte of the failed request leaks into it), no read slot is
 * leaked and the thread count comes back down.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
class StreamFaultMatrixTest
{
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(2);
    private static final long VIDEO = 12L * 1024 * 1024 + 11;
    private static final int READ = 64 * 1024;

    /** One row of the matrix: the fault, what the reader must see, and whether the read hangs until the deadline. */
    enum Row
    {
        STALL_BEFORE_HEADERS(Fault.STALL_BEFORE_HEADERS, "Connection timed out", true),
        STALL_AFTER_HEADERS(Fault.STALL_AFTER_HEADERS, "Connection timed out", true),
        SLOW_DRIP(Fault.SLOW_DRIP, "Connection timed out", true),
        INITIALIZING_FOREVER(Fault.INITIALIZING, "Connection timed out", true),
        RESET_MID_BODY(Fault.RESET_MID_BODY, "Input/output error", false),
        STATUS_500(Fault.STATUS_500, "Input/output error", false),
        STATUS_503(Fault.STATUS_503, "Input/output error", false),
        TRUNCATED_BODY(Fault.TRUNCATED_BODY, "Input/output error", false),
        WRONG_CONTENT_RANGE(Fault.WRONG_CONTENT_RANGE, "Input/output error", false);

        final Fault fault;
        final String strerror;
        final boolean stalls;

        Row(final Fault fault, final String strerror, final boolean stalls)
        {
            this.fault = fault;
            this.strerror = strerror;
            this.stalls = stalls;
        }
    }

    private FaultMount fx;
    private SimTorrent victim;
    private SimFile video;
    private SimTorrent healthy;

    @BeforeAll
    void mount(@TempDir final Path tmp) throws Exception
    {
        final RqbitSim sim = FaultMount.startSim();
        victim = sim.addTorrent(TorrentSpec.builder("victim").file(VIDEO, "video.bin").file(1000, "notes.txt").build());
        healthy = sim.addTorrent(TorrentSpec.singleFile("healthy.bin", 4L * 1024 * 1024 + 5));
        video = victim.files().get(0);
        fx = FaultMount.start(sim, tmp, c -> c.readTimeout(READ_TIMEOUT));
        // warm up: connections, event loops and FUSE workers exist before any baseline is taken
        FaultMount.assertContent(fx.mnt.resolve("victim/video.bin"), video, 0, READ);
        FaultMount.assertContent(fx.mnt.resolve("healthy.bin"), healthy.files().get(0), 0, READ);
    }

    @AfterEach
    void clearFaults()
    {
        if (fx != null)
        {
            fx.sim.faults().clear();
        }
    }

    @AfterAll
    void unmount()
    {
        if (fx != null)
        {
            fx.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Row.class)
    void faultFailsTheReadInTimeWithItsErrnoAndLeavesTheMountHealthy(final Row row) throws Exception
    {
        final int baselineThreads = FaultMount.liveThreads();
        final Path file = fx.mnt.resolve("victim/video.bin");
        // a range no earlier case touched, so no page of it can be in the page cache
        final long offset = (1L + row.ordinal()) * 1024 * 1024 + 4096;
        final FaultRule rule = fx.sim.faults().inject(row.fault, Target.STREAMS, victim.infoHash(), -1);

        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final AtomicLong elapsedNs = new AtomicLong();
        final CountDownLatch done = new CountDownLatch(1);
        final Thread reader = new Thread(() ->
        {
            final long t0 = System.nanoTime();
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ))
            {
                FaultMount.readAt(ch, offset, READ);
            }
            catch (final Throwable t)
            {
                failure.set(t);
            }
            finally
            {
                elapsedNs.set(System.nanoTime() - t0);
                done.countDown();
            }
        }, "fault-reader-" + row);
        reader.start();

        assertThat(FaultMount.await(Duration.ofSeconds(5), () -> rule.hits() > 0))
            .as("the read reached the faulty backend").isTrue();
        final boolean inProgress = done.getCount() == 1;
        if (row.stalls)
        {
            assertThat(inProgress).as("read still waiting on the stalled backend").isTrue();
        }

        // metadata answers from the snapshot: fast while the read waits
        final long t0 = System.nanoTime();
        final List<String> names;
        try (Stream<Path> s = Files.list(fx.mnt))
        {
            names = s.map(p -> p.getFileName().toString()).sorted().toList();
        }
        try (Stream<Path> s = Files.list(fx.mnt.resolve("victim")))
        {
            for (final Path p : s.toList())
            {
                Files.readAttributes(p, BasicFileAttributes.class);
            }
        }
        assertThat(Files.size(fx.mnt.resolve("healthy.bin"))).isEqualTo(healthy.files().get(0).length());
        final Duration metadataTime = Duration.ofNanos(System.nanoTime() - t0);
        if (row.stalls)
        {
            assertThat(done.getCount()).as("read was still in progress during the metadata calls").isEqualTo(1);
        }
        assertThat(metadataTime).as("ls + stat while a read is faulted").isLessThan(Duration.ofSeconds(1));
        assertThat(names).containsExactly("healthy.bin", "victim");

        // another torrent keeps reading correctly meanwhile
        FaultMount.assertContent(fx.mnt.resolve("healthy.bin"), healthy.files().get(0), 1024L * 1024 + row.ordinal(), 100_000);

        assertThat(done.await(READ_TIMEOUT.toMillis() + 5_000, TimeUnit.MILLISECONDS)).as("read ended").isTrue();
        assertThat(failure.get()).as("read failed").isInstanceOf(IOException.class);
        assertThat(failure.get().getMessage()).contains(row.strerror);
        assertThat(Duration.ofNanos(elapsedNs.get())).as("time to fail").isLessThan(READ_TIMEOUT.plusSeconds(1));

        // backend healthy again: the same range reads exactly the generator's bytes, on a fresh handle
        fx.sim.faults().clear();
        FaultMount.assertContent(file, video, offset, READ);
        FaultMount.assertContent(file, video, offset - 4096, 3 * READ);
        fx.assertNoSlotLeaked();
        FaultMount.assertThreadsBounded(baselineThreads, 12);
    }

    @ParameterizedTest
    @EnumSource(value = Fault.class, names = {"INITIALIZING"})
    void transientInitializingIsRetriedWithinTheDeadlineAndTheReadSucceeds(final Fault fault) throws Exception
    {
        final FaultRule rule = fx.sim.faults().inject(fault, Target.STREAMS, victim.infoHash(), 2);
        final long t0 = System.nanoTime();
        FaultMount.assertContent(fx.mnt.resolve("victim/video.bin"), video, 11L * 1024 * 1024, READ);
        assertThat(rule.hits()).isEqualTo(2);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(READ_TIMEOUT.plusSeconds(1));
        fx.assertNoSlotLeaked();
    }
}
