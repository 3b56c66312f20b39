package io.fuseengine.core.readahead;

import io.fuseengine.core.cache.ChunkCache;
import io.fuseengine.core.cache.ChunkCacheConfig;
import io.fuseengine.core.read.StreamTarget;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class StreamingReaderEvictionTest
{
    private static final int CHUNK = 64 * 1024;
    private static final int FILES = 8;
    private static final int THREADS = 4;
    private static final int STREAMS_PER_THREAD = 60;

    @Test
    void evictionUnderPressureNeverYieldsWrongBytes() throws Exception
    {
        try (ChunkCache cache = ChunkCache.open(ChunkCacheConfig.builder().chunkSize(CHUNK).budgetBytes(12L * CHUNK).build());
             Rig rig = new Rig(cache, ReadAheadConfig.builder().fetchers(2).readAheadMax(4L * CHUNK).build()))
        {
            final List<StreamTarget> files = new ArrayList<>();
            for (int i = 0; i < FILES; i++)
            {
                files.add(Rig.newFile(20L * CHUNK + 777 * i, "t/f" + i + (i % 2 == 0 ? ".mkv" : ".bin")));
            }
            final CountDownLatch start = new CountDownLatch(1);
            final ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            final List<Future<Integer>> done = new ArrayList<>();
            try
            {
                for (int t = 0; t < THREADS; t++)
                {
                    final long seed = 42 + t;
                    done.add(pool.submit(() -> readAtRandom(rig, files, start, seed)));
                }
                start.countDown();
                int reads = 0;
                for (final Future<Integer> f : done)
                {
                    reads += f.get(120, TimeUnit.SECONDS);
                }
                assertThat(reads).isPositive();
            }
            finally
            {
                pool.shutdownNow();
            }
            assertThat(cache.evictions()).as("the budget was under pressure").isPositive();
            assertThat(cache.residentBytes() + cache.reservedBytes()).isLessThanOrEqualTo(12L * CHUNK);
            assertThat(rig.reader.readAheadChunks()).as("read-ahead took part").isPositive();
        }
    }

    /** Streams that read sequential runs (read-ahead) or random ranges, every byte checked by readChecked. */
    private static int readAtRandom(
        final Rig rig, final List<StreamTarget> files, final CountDownLatch start, final long seed) throws InterruptedException
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final UnsafeBuffer dest = Rig.buffer(2 * CHUNK);
        int reads = 0;
        start.await();
        for (int i = 0; i < STREAMS_PER_THREAD; i++)
        {
            final StreamTarget target = files.get(random.nextInt(FILES));
            final OpenStream s = rig.reader.open(target, StreamingReader.isMediaName(target.description()));
            if (random.nextBoolean())
            {
                final int length = 8192 << random.nextInt(4);
                long offset = random.nextLong(target.length() / 2);
                for (int r = 0; r < 40 && offset < target.length(); r++, offset += length)
                {
                    rig.readChecked(s, offset, length, dest);
                    reads++;
                }
            }
            else
            {
                for (int r = 0; r < 20; r++)
                {
                    final int length = 1 + random.nextInt(2 * CHUNK);
                    rig.readChecked(s, random.nextLong(target.length()), length, dest);
                    reads++;
                }
            }
            rig.reader.close(s);
        }
        return reads;
    }
}
