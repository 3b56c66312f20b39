package io.fuseengine.fuse.catalog;

import io.fuseengine.fuse.testing.FakeMetadata;
import io.fuseengine.fuse.tree.FsTree;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import static io.fuseengine.fuse.testing.FakeMetadata.file;
import static io.fuseengine.fuse.testing.FakeMetadata.hash;
import static org.assertj.core.api.Assertions.assertThat;

@Timeout(30)
class TorrentCatalogTest
{
    private static final Duration LONG = Duration.ofHours(1);
    private static final Duration WAIT = Duration.ofSeconds(5);

    private final FakeMetadata meta = new FakeMetadata();
    private final AtomicLong clock = new AtomicLong(1_700_000_000_000L);
    private TorrentCatalog catalog;

    private TorrentCatalog catalog(final FirstSeenStore store)
    {
        catalog = new TorrentCatalog(meta, LONG, WAIT, store, clock::get);
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

    @Test
    void startListsTorrentsSynchronously()
    {
        meta.add(hash(1), "One", file(0, 10, "a"), file(1, 10, "b"));
        catalog(FirstSeenStore.inMemory()).start();
        assertThat(catalog.tree().lookup("/One/a")).isNotNull();
        assertThat(catalog.backendReachable()).isTrue();
    }

    @Test
    void detailsAreFetchedOncePerInfoHash()
    {
        meta.add(hash(1), "One", file(0, 10, "a"), file(1, 10, "b"));
        catalog(FirstSeenStore.inMemory()).start();
        meta.add(hash(2), "Two", file(0, 1, "x.bin"));
        for (int i = 0; i < 3; i++)
        {
            assertThat(catalog.refreshNow(WAIT)).isTrue();
        }
        assertThat(meta.detailCalls(hash(1))).isEqualTo(1);
        assertThat(meta.detailCalls(hash(2))).isEqualTo(1);
        assertThat(meta.listCalls()).isEqualTo(4);
        assertThat(catalog.tree().lookup("/x.bin")).isNotNull();
    }

    @Test
    void unchangedTorrentListKeepsTheSameSnapshot()
    {
        meta.add(hash(1), "One", file(0, 10, "a"), file(1, 10, "b"));
        catalog(FirstSeenStore.inMemory()).start();
        final FsTree before = catalog.tree();
        catalog.refreshNow(WAIT);
        assertThat(catalog.tree()).isSameAs(before);
    }

    @Test
    void forgottenTorrentDropsOutAndIsFetchedAgainIfReAdded()
    {
        meta.add(hash(1), "One", file(0, 10, "a"), file(1, 10, "b"));
        meta.add(hash(2), "Two", file(0, 10, "a"), file(1, 10, "b"));
        catalog(FirstSeenStore.inMemory()).start();
        final long inode = catalog.tree().lookup("/One/a").inode();

        meta.drop(hash(1));
        catalog.refreshNow(WAIT);
        assertThat(catalog.tree().lookup("/One")).isNull();
        assertThat(catalog.tree().containsTorrent(hash(1))).isFalse();
        assertThat(catalog.tree().lookup("/Two/a")).isNotNull();

        meta.add(hash(1), "One", file(0, 10, "a"), file(1, 10, "b"));
        catalog.refreshNow(WAIT);
        assertThat(meta.detailCalls(hash(1))).isEqualTo(2);
        assertThat(catalog.tree().lookup("/One/a").inode()).isEqualTo(inode);
    }

    @Test
    void backendDownAtStartMountsEmptyThenFillsInWhenBack()
    {
        meta.add(hash(1), "One", file(0, 10, "a"), file(1, 10, "b"));
        meta.down(true);
        catalog(FirstSeenStore.inMemory()).start();
        assertThat(catalog.tree().root().children()).isEmpty();
        assertThat(catalog.backendReachable()).isFalse();

        meta.down(false);
        assertThat(catalog.refreshNow(WAIT)).isTrue();
        assertThat(catalog.tree().lookup("/One/b")).isNotNull();
        assertThat(catalog.backendReachable()).isTrue();
    }

    @Test
    void outageKeepsServingTheLastKnownTree()
    {
        meta.add(hash(1), "One", file(0, 10, "a"), file(1, 10, "b"));
        catalog(FirstSeenStore.inMemory()).start();
        final FsTree known = catalog.tree();
        meta.down(true);
        assertThat(catalog.refreshNow(WAIT)).isFalse();
        assertThat(catalog.refreshNow(WAIT)).isFalse();
        assertThat(catalog.tree()).isSameAs(known);
        assertThat(catalog.backendReachable()).isFalse();
        assertThat(catalog.failureCount()).isEqualTo(2);
    }

    @Test
    void treeIsReadableWhileARefreshIsBlockedOnTheNetwork() throws Exception
    {
        meta.add(hash(1), "One", file(0, 10, "a"), file(1, 10, "b"));
        catalog(FirstSeenStore.inMemory()).start();
        final CountDownLatch release = meta.blockList();
        final Thread refresher = new Thread(() -> catalog.refreshNow(WAIT));
        refresher.start();
        assertThat(meta.awaitListBlocked(5000)).isTrue();

        final long t0 = System.nanoTime();
        assertThat(catalog.tree().lookup("/One/a")).isNotNull();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofMillis(100));
        // and a second refreshNow gives up within its own bound instead of hanging
        assertThat(catalog.refreshNow(Duration.ofMillis(50))).isFalse();

        release.countDown();
        refresher.join(5000);
        assertThat(refresher.isAlive()).isFalse();
    }

    @Test
    void backgroundRefresherPicksUpNewTorrents() throws Exception
    {
        catalog = new TorrentCatalog(meta, Duration.ofMillis(20), WAIT, FirstSeenStore.inMemory(), clock::get);
        catalog.start();
        meta.add(hash(3), "Three", file(0, 10, "a"), file(1, 10, "b"));
        final long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (catalog.tree().lookup("/Three") == null && System.nanoTime() < deadline)
        {
            Thread.onSpinWait();
            Thread.sleep(5);
        }
        assertThat(catalog.tree().lookup("/Three")).isNotNull();
    }

    @Test
    void mtimeIsFirstSeenTimeNotRefreshTime()
    {
        meta.add(hash(1), "One", file(0, 10, "a"), file(1, 10, "b"));
        catalog(FirstSeenStore.inMemory()).start();
        final long mtime = catalog.tree().lookup("/One/a").mtimeSeconds();
        assertThat(mtime).isEqualTo(1_700_000_000L);
        clock.addAndGet(3_600_000);
        meta.add(hash(2), "Two", file(0, 10, "a"), file(1, 10, "b"));
        catalog.refreshNow(WAIT);
        assertThat(catalog.tree().lookup("/One/a").mtimeSeconds()).isEqualTo(mtime);
        assertThat(catalog.tree().lookup("/Two/a").mtimeSeconds()).isEqualTo(1_700_003_600L);
    }

    @Test
    void magnetWithoutFilesYetIsRetriedNotCachedEmpty()
    {
        meta.add(hash(1), null);
        catalog(FirstSeenStore.inMemory()).start();
        assertThat(catalog.tree().torrentCount()).isZero();
        catalog.refreshNow(WAIT);
        assertThat(meta.detailCalls(hash(1))).isEqualTo(2);
    }
}
