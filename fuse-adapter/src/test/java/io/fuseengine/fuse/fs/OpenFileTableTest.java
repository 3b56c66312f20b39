package io.fuseengine.fuse.fs;

import io.fuseengine.core.read.StreamTarget;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.fuseengine.fuse.testing.FakeMetadata.hash;
import static org.assertj.core.api.Assertions.assertThat;

class OpenFileTableTest
{
    private static final StreamTarget A = new StreamTarget(hash(1), 0, 10, "a");
    private static final StreamTarget B = new StreamTarget(hash(1), 1, 10, "b");

    @Test
    void openReturnsNonZeroHandleThatResolvesToItsTarget()
    {
        final OpenFileTable t = new OpenFileTable(4);
        final long a = t.open(A);
        final long b = t.open(B);
        assertThat(a).isNotZero().isNotEqualTo(b);
        assertThat(t.target(a)).isSameAs(A);
        assertThat(t.target(b)).isSameAs(B);
        assertThat(t.openCount()).isEqualTo(2);
    }

    @Test
    void releasedHandleNoLongerResolvesEvenWhenItsSlotIsReused()
    {
        final OpenFileTable t = new OpenFileTable(1);
        final long a = t.open(A);
        assertThat(t.release(a)).isTrue();
        assertThat(t.target(a)).isNull();
        assertThat(t.release(a)).isFalse();
        final long b = t.open(B);
        assertThat(b).isNotEqualTo(a);
        assertThat(t.target(a)).isNull();
        assertThat(t.target(b)).isSameAs(B);
    }

    @Test
    void fullTableRefusesAndUnknownHandlesResolveToNull()
    {
        final OpenFileTable t = new OpenFileTable(2);
        t.open(A);
        t.open(A);
        assertThat(t.open(B)).isEqualTo(-1);
        assertThat(t.target(0)).isNull();
        assertThat(t.target(99)).isNull();
        assertThat(t.target(-5)).isNull();
    }

    @Test
    void concurrentOpensGetDistinctHandles() throws Exception
    {
        final OpenFileTable t = new OpenFileTable(1024);
        final Set<Long> handles = ConcurrentHashMap.newKeySet();
        final ExecutorService pool = Executors.newFixedThreadPool(8);
        final CountDownLatch go = new CountDownLatch(1);
        try
        {
            final List<Future<?>> fs = new java.util.ArrayList<>();
            for (int th = 0; th < 8; th++)
            {
                fs.add(pool.submit(() ->
                {
                    go.await();
                    for (int i = 0; i < 100; i++)
                    {
                        handles.add(t.open(A));
                    }
                    return null;
                }));
            }
            go.countDown();
            for (final Future<?> f : fs)
            {
                f.get(10, TimeUnit.SECONDS);
            }
        }
        finally
        {
            pool.shutdownNow();
        }
        assertThat(handles).hasSize(800).doesNotContain(-1L);
        assertThat(new HashSet<>(handles).stream().map(h -> (int)(long)h).distinct().count()).isEqualTo(800);
        assertThat(t.openCount()).isEqualTo(800);
    }
}
