package io.fuseengine.core.cache;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;

import static io.fuseengine.core.cache.TestChunks.*;
import static org.assertj.core.api.Assertions.assertThat;

class ChunkCacheAllocationTest
{
    private static final int CHUNK = 1024 * 1024;
    private static final int READ = 128 * 1024;
    private static final int OPS = 10_000;

    private static int readMany(final ChunkCache cache, final CacheFileIdentity file, final long dest)
    {
        final long span = file.fileLength() - READ;
        int bytes = 0;
        for (int i = 0; i < OPS; i++)
        {
            // 96 KiB steps: every 11th read or so spans two chunks
            final long offset = (i * 96L * 1024) % span;
            bytes += cache.read(file, offset, READ, dest);
        }
        return bytes;
    }

    @Test
    void servesHitsWithoutAllocatingOnTheHeap() throws Exception
    {
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long me = Thread.currentThread().getId();
        try (ChunkCache cache = ChunkCache.open(ChunkCacheConfig.builder().chunkSize(CHUNK).budgetBytes(8L * CHUNK).build()))
        {
            final CacheFileIdentity file = TestChunks.file(500, 4L * CHUNK + 12345);
            putFile(cache, file, nativeBuffer(CHUNK));
            final UnsafeBuffer dest = nativeBuffer(READ);

            assertThat(readMany(cache, file, dest.addressOffset())).isEqualTo(OPS * READ);   // warm-up (JIT, contexts)
            assertThat(readMany(cache, file, dest.addressOffset())).isEqualTo(OPS * READ);

            final long before = threads.getThreadAllocatedBytes(me);
            final long start = System.nanoTime();
            final int bytes = readMany(cache, file, dest.addressOffset());
            final long elapsed = System.nanoTime() - start;
            final long allocated = threads.getThreadAllocatedBytes(me) - before;

            assertThat(bytes).isEqualTo(OPS * READ);
            System.out.printf("chunk cache hit path: %d B allocated over %d hits of %d KiB, %.1f us/hit%n",
                allocated, OPS, READ / 1024, elapsed / 1e3 / OPS);
            assertThat((double)allocated / OPS).as("bytes allocated per hit").isLessThan(16.0);
            assertThat(firstMismatch(dest, READ, file, ((OPS - 1) * 96L * 1024) % (file.fileLength() - READ))).isEqualTo(-1L);
        }
    }
}
