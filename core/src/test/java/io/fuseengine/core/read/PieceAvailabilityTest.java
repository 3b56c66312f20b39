package io.fuseengine.core.read;

import io.fuseengine.core.meta.TorrentDetails;
import io.fuseengine.core.meta.TorrentFile;
import io.fuseengine.core.meta.TorrentHaves;
import io.fuseengine.core.meta.TorrentProgress;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class PieceAvailabilityTest
{
    private static final String HASH = "ab".repeat(20);
    private static final int PIECE = 16 * 1024;
    private static final long LENGTH = 64L * PIECE;

    private static final TorrentDetails DETAILS = new TorrentDetails(HASH, "t", 64,
        List.of(new TorrentFile(0, "v.bin", List.of("v.bin"), LENGTH, true, false)));
    private static final StreamTarget TARGET = new StreamTarget(HASH, 0, LENGTH, "t / v.bin");

    /** Pieces 0-31 had, 32-63 missing. */
    private static TorrentHaves firstHalf()
    {
        final byte[] b = new byte[8];
        for (int i = 0; i < 4; i++)
        {
            b[i] = (byte)0xFF;
        }
        return new TorrentHaves(b, 64, true);
    }

    @Test
    void shouldClassifyFromTheLatestSnapshotAndAskForARefreshWhenNotAvailable()
    {
        final PieceAvailability a = new PieceAvailability(0);
        final AtomicInteger wakeUps = new AtomicInteger();
        a.wakeUp(wakeUps::incrementAndGet);
        final AtomicInteger changes = new AtomicInteger();
        a.addListener(changes::incrementAndGet);

        assertThat(a.classify(TARGET, 0, PIECE)).isEqualTo(PieceAvailability.UNKNOWN);
        assertThat(wakeUps.get()).as("an unknown torrent wakes the refresher").isEqualTo(1);
        assertThat(a.classify(TARGET, 0, PIECE)).isEqualTo(PieceAvailability.UNKNOWN);
        assertThat(wakeUps.get()).as("once until it was polled").isEqualTo(1);

        a.updateGeometry(HASH, DETAILS, 0);
        a.updateBits(HASH, firstHalf(), System.nanoTime());
        assertThat(changes.get()).isEqualTo(2);
        assertThat(a.classify(TARGET, 0, 32L * PIECE)).isEqualTo(PieceAvailability.AVAILABLE);
        assertThat(a.classify(TARGET, 31L * PIECE, 2 * PIECE)).isEqualTo(PieceAvailability.MISSING);
        assertThat(a.availableBytes(TARGET, 30L * PIECE, LENGTH)).isEqualTo(2L * PIECE);

        a.updateBits(HASH, firstHalf(), System.nanoTime());
        assertThat(changes.get()).as("same content: listeners not told").isEqualTo(2);

        a.updateProgress(HASH, new TorrentProgress("paused", 0, LENGTH, false, new long[] {LENGTH / 2}), System.nanoTime());
        a.updateBits(HASH, firstHalf(), System.nanoTime());
        assertThat(a.classify(TARGET, 40L * PIECE, PIECE)).isEqualTo(PieceAvailability.PAUSED);
        assertThat(a.classify(TARGET, 0, PIECE)).as("had pieces of a paused torrent").isEqualTo(PieceAvailability.AVAILABLE);
        assertThat(changes.get()).as("every update of a paused torrent is told").isEqualTo(4);

        a.forget(HASH);
        assertThat(a.snapshot(HASH)).isNull();
        assertThat(a.classify(TARGET, 0, PIECE)).isEqualTo(PieceAvailability.UNKNOWN);
    }

    @Test
    void shouldWarnAboutAPausedTorrentAtMostOncePerTorrentPerInterval()
    {
        final PieceAvailability a = new PieceAvailability();
        final StreamTarget other = new StreamTarget("cd".repeat(20), 0, 10, "u / w.bin");
        assertThat(a.recordPausedFailure(TARGET)).isTrue();
        assertThat(a.recordPausedFailure(TARGET)).isFalse();
        assertThat(a.recordPausedFailure(other)).isTrue();
        assertThat(a.pausedFailures()).isEqualTo(3);
        a.recordAdmission(PieceAvailability.AVAILABLE);
        a.recordAdmission(PieceAvailability.MISSING);
        a.recordAdmission(PieceAvailability.PAUSED);
        a.recordAdmission(PieceAvailability.UNKNOWN);
        assertThat(a.readsAvailable()).isEqualTo(1);
        assertThat(a.readsMissing()).isEqualTo(2);
        assertThat(a.readsUnknown()).isEqualTo(1);
    }

    @Test
    void shouldClassifyWithoutAllocating()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long me = Thread.currentThread().getId();
        final PieceAvailability a = new PieceAvailability();
        a.updateGeometry(HASH, DETAILS, 0);
        a.updateBits(HASH, firstHalf(), System.nanoTime());
        long sum = classifyMany(a) + classifyMany(a); // warm-up
        final long before = threads.getThreadAllocatedBytes(me);
        sum += classifyMany(a);
        final long allocated = threads.getThreadAllocatedBytes(me) - before;
        assertThat(sum).isPositive();
        assertThat((double)allocated / 10_000).as("bytes allocated per classify").isLessThan(1.0);
    }

    private static long classifyMany(final PieceAvailability a)
    {
        long sum = 0;
        for (int i = 0; i < 10_000; i++)
        {
            final long offset = (i * 7919L * 1024) % (LENGTH - 256 * 1024);
            sum += a.classify(TARGET, offset, 256 * 1024) + a.availableBytes(TARGET, offset, 1 << 20);
        }
        return sum;
    }
}
