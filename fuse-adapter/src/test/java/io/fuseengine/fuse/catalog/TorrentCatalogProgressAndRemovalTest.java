package io.fuseengine.fuse.catalog;

import io.fuseengine.core.errno.Errno;
import io.fuseengine.core.meta.TorrentProgress;
import io.fuseengine.fuse.testing.FakeMetadata;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.fuseengine.fuse.testing.FakeMetadata.file;
import static io.fuseengine.fuse.testing.FakeMetadata.hash;
import static org.assertj.core.api.Assertions.assertThat;

/** The catalog's side table (ids, progress from stats/v1) and removal (forget) against an in-memory rqbit. */
@Timeout(30)
class TorrentCatalogProgressAndRemovalTest
{
    private static final Duration LONG = Duration.ofHours(1);
    private static final Duration WAIT = Duration.ofSeconds(5);

    private final FakeMetadata meta = new FakeMetadata();
    private TorrentCatalog catalog;

    private TorrentCatalog catalog()
    {
        catalog = new TorrentCatalog(meta, LONG, WAIT, FirstSeenStore.inMemory(), () -> 1_700_000_000_000L);
        return catalog;
    }

    @AfterEach
    void close()
    {
        if (catalog != null)
        {
            catalog.close();
        }
    }

    private static TorrentProgress progress(final long done, final long total, final long... files)
    {
        return new TorrentProgress("live", done, total, done == total, files);
    }

    @Test
    void refreshPublishesIdAndProgressAndKeepsTheLastKnownProgressWhenStatsFail()
    {
        meta.add(hash(1), "Show", file(0, 100, "a.mkv"), file(1, 50, "b.srt"));
        meta.progress(hash(1), progress(60, 150, 40, 20));
        final TorrentCatalog c = catalog();
        assertThat(c.refreshNow(WAIT)).isTrue();
        assertThat(c.torrentId(hash(1))).isZero();
        assertThat(c.progress(hash(1)).progressBytes()).isEqualTo(60);
        assertThat(c.progress(hash(1)).fileProgress(1)).isEqualTo(20);
        assertThat(c.progress(hash(1)).fileProgress(7)).isEqualTo(-1);

        meta.failProgress(Errno.EIO);
        assertThat(c.refreshNow(WAIT)).as("stats failures do not fail the refresh").isTrue();
        assertThat(c.progress(hash(1))).isEqualTo(progress(60, 150, 40, 20));

        meta.failProgress(0);
        meta.progress(hash(1), progress(150, 150, 100, 50));
        assertThat(c.refreshNow(WAIT)).isTrue();
        assertThat(c.progress(hash(1)).finished()).isTrue();
        assertThat(c.torrentId(hash(9))).isEqualTo(-1);
        assertThat(c.progress(hash(9))).isNull();
    }

    @Test
    void backgroundRefreshAsksFinishedTorrentsLessOftenThanUnfinishedOnes()
    {
        meta.add(hash(1), "Done", file(0, 10, "x"));
        meta.add(hash(2), "Busy", file(0, 10, "y"));
        meta.progress(hash(1), progress(10, 10, 10));
        meta.progress(hash(2), progress(3, 10, 3));
        final TorrentCatalog c = catalog();
        assertThat(c.refreshNow(WAIT)).isTrue();
        final int before = meta.progressCalls();
        // a few background-style rounds (not multiples of the cadence): only the unfinished torrent is asked
        for (int i = 0; i < 3; i++)
        {
            c.refreshStatusesForTest();
        }
        assertThat(meta.progressCalls() - before).isEqualTo(3);
    }

    @Test
    void removeForgetsInRqbitAndTakesTheTorrentOutOfTheTreeAtOnce()
    {
        meta.add(hash(1), "Show", file(0, 100, "a.mkv"), file(1, 50, "b.srt"));
        meta.add(hash(2), "Other", file(0, 10, "o.bin"));
        final TorrentCatalog c = catalog();
        assertThat(c.refreshNow(WAIT)).isTrue();
        final long generation = c.tree().generation();

        assertThat(c.remove(hash(1), "Show")).isZero();
        assertThat(c.tree().containsTorrent(hash(1))).isFalse();
        assertThat(c.tree().lookup("/Show")).isNull();
        assertThat(c.tree().lookup("/o.bin")).isNotNull();
        assertThat(c.tree().generation()).isGreaterThan(generation);
        assertThat(c.removalCount()).isEqualTo(1);
        assertThat(c.refreshNow(WAIT)).isTrue();
        assertThat(c.tree().containsTorrent(hash(1))).isFalse();
    }

    @Test
    void aFailedForgetLeavesTheTreeAsItWasAndAnswersItsErrno()
    {
        meta.add(hash(1), "Show", file(0, 100, "a.mkv"));
        final TorrentCatalog c = catalog();
        assertThat(c.refreshNow(WAIT)).isTrue();
        meta.failForget(Errno.ETIMEDOUT);
        assertThat(c.remove(hash(1), "Show")).isEqualTo(Errno.ETIMEDOUT);
        assertThat(c.tree().containsTorrent(hash(1))).isTrue();
        assertThat(c.removalCount()).isZero();
    }

    @Test
    void aListRequestedBeforeTheForgetCompletedDoesNotBringTheTorrentBack() throws Exception
    {
        meta.add(hash(1), "Show", file(0, 100, "a.mkv"));
        final TorrentCatalog c = catalog();
        assertThat(c.refreshNow(WAIT)).isTrue();

        // a refresh whose list is answered (still naming the torrent) ...
        final CountDownLatch gate = meta.blockList();
        final ExecutorService pool = Executors.newSingleThreadExecutor();
        try
        {
            final Future<Boolean> refresh = pool.submit(() -> c.refreshNow(WAIT));
            assertThat(meta.awaitListBlocked(5000)).isTrue();
            // ... while the removal completes: the fake still lists the torrent when the gate opens
            meta.failForget(0);
            assertThat(c.remove(hash(1), "Show")).isZero();
            meta.add(hash(1), "Show", file(0, 100, "a.mkv"));   // a stale list: rqbit still names it
            gate.countDown();
            assertThat(refresh.get(10, TimeUnit.SECONDS)).isTrue();
            assertThat(c.tree().containsTorrent(hash(1))).as("stale list must not resurrect it").isFalse();
        }
        finally
        {
            pool.shutdownNow();
        }
        // a list requested after the forget is believed: the torrent was added anew
        assertThat(c.refreshNow(WAIT)).isTrue();
        assertThat(c.tree().containsTorrent(hash(1))).isTrue();
    }
}
