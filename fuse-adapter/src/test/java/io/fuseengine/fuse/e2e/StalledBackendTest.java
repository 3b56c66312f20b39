package io.fuseengine.fuse.e2e;

import io.fuseengine.sim.FaultInjector;
import io.fuseengine.sim.RqbitSim;
import io.fuseengine.sim.SimFile;
import io.fuseengine.sim.SimTorrent;
import io.fuseengine.sim.TorrentSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A backend that sends headers and then nothing: the read fails with ETIMEDOUT at the read timeout, metadata
 * stays fast meanwhile, and the file reads correctly afterwards.
 */
@Timeout(90)
class StalledBackendTest
{
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(2);

    @TempDir
    Path tmp;

    private SimMount fx;

    @AfterEach
    void unmount()
    {
        if (fx != null)
        {
            fx.close();
        }
    }

    @Test
    void stalledReadTimesOutWhileListingStaysFastAndTheFileReadsCorrectlyAfterwards() throws Exception
    {
        final RqbitSim sim = SimMount.startSim();
        final SimTorrent stalled = sim.addTorrent(TorrentSpec.builder("stalled")
            .file(3L * 1024 * 1024 + 7, "video.mkv").file(1000, "notes.txt").build());
        sim.addTorrent(TorrentSpec.singleFile("healthy.bin", 1024 * 1024));
        fx = SimMount.start(sim, tmp, c -> c.readTimeout(READ_TIMEOUT));
        final Path video = fx.mnt.resolve("stalled/video.mkv");
        assertThat(Files.size(video)).isEqualTo(3L * 1024 * 1024 + 7);

        sim.faults().inject(FaultInjector.Fault.STALL_AFTER_HEADERS, FaultInjector.Target.STREAMS, stalled.infoHash(), -1);
        final long streamsBefore = sim.stats().streamRequests();

        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final AtomicLong elapsedNs = new AtomicLong();
        final CountDownLatch done = new CountDownLatch(1);
        final Thread reader = new Thread(() ->
        {
            final long t0 = System.nanoTime();
            try (FileChannel ch = FileChannel.open(video, StandardOpenOption.READ))
            {
                SimMount.readAt(ch, 0, 64 * 1024);
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
        }, "stalled-reader");
        reader.start();

        // the read is stalled once the sim has accepted its stream request and the reader is still waiting
        final CountDownLatch isStalled = new CountDownLatch(1);
        if (SimMount.await(Duration.ofSeconds(5), () -> sim.stats().streamRequests() > streamsBefore) && done.getCount() == 1)
        {
            isStalled.countDown();
        }
        assertThat(isStalled.await(0, TimeUnit.SECONDS)).as("read reached the stalled backend").isTrue();

        final long t0 = System.nanoTime();
        final List<Path> entries;
        try (Stream<Path> s = Files.list(fx.mnt))
        {
            entries = s.toList();
        }
        for (final Path p : entries)
        {
            Files.readAttributes(p, BasicFileAttributes.class);
        }
        Files.readAttributes(fx.mnt.resolve("stalled/notes.txt"), BasicFileAttributes.class);
        final Duration metadataTime = Duration.ofNanos(System.nanoTime() - t0);
        assertThat(done.getCount()).as("read still stalled while listing").isEqualTo(1);
        assertThat(metadataTime).isLessThan(Duration.ofSeconds(1));
        assertThat(entries).extracting(p -> p.getFileName().toString()).containsExactlyInAnyOrder("stalled", "healthy.bin");

        assertThat(done.await(READ_TIMEOUT.toMillis() + 5_000, TimeUnit.MILLISECONDS)).isTrue();
        assertThat(failure.get()).isInstanceOf(IOException.class).hasMessageContaining("Connection timed out");
        assertThat(Duration.ofNanos(elapsedNs.get())).isLessThan(READ_TIMEOUT.plusSeconds(1));

        sim.faults().clear();
        final SimFile file = stalled.files().get(0);
        final byte[] want = new byte[(int)file.length()];
        file.read(0, want, 0, want.length);
        try (FileChannel ch = FileChannel.open(video, StandardOpenOption.READ))
        {
            assertThat(Arrays.equals(SimMount.readAt(ch, 0, want.length), want)).isTrue();
        }
        // a read may return before the chunk fetch it joined has ended (progressive join): give that fetch its time
        final long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (fx.engine().pipeline().slots().inUse() != 0 && System.nanoTime() - giveUp < 0)
        {
            Thread.yield();
        }
        assertThat(fx.engine().pipeline().slots().inUse()).isZero();
    }
}
