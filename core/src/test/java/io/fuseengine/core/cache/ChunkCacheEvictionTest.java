package io.fuseengine.core.cache;

import io.fuseengine.core.read.ReadSink;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.fuseengine.core.cache.TestChunks.*;
import static org.assertj.core.api.Assertions.assertThat;

class ChunkCacheEvictionTest
{
    private static final int CHUNK = 64 * 1024;
    private static final long BUDGET = 64L * CHUNK;

    private final UnsafeBuffer scratch = nativeBuffer(CHUNK);
    private final UnsafeBuffer dest = nativeBuffer(CHUNK);
    private ChunkCache cache;

    @AfterEach
    void close()
    {
        if (cache != null)
        {
            cache.close();
        }
    }

    private ChunkCache open(final long budget) throws Exception
    {
        cache = ChunkCache.open(ChunkCacheConfig.builder().chunkSize(CHUNK).budgetBytes(budget).build());
        return cache;
    }

    @Test
    void chunkHandedToASinkIsNeitherEvictedNorOverwrittenUntilTheSinkReturns() throws Exception
    {
        open(4L * CHUNK);
        final CacheFileIdentity handed = TestChunks.file(300, 4L * CHUNK);
        final CacheFileIdentity churn = TestChunks.file(301, 64L * CHUNK);
        assertThat(putChunk(cache, handed, 0, scratch)).isTrue();
        final long[] seenDuringTake = new long[3];
        final ReadSink sink = new ReadSink()
        {
            @Override
            public void take(final long address, final int length)
            {
                // the cache's writer fills it four times over while the sink holds the chunk's memory
                for (int c = 0; c < 16; c++)
                {
                    putChunk(cache, churn, c, scratch);
                }
                final UnsafeBuffer held = new UnsafeBuffer(address, length);
                seenDuringTake[0] = firstMismatch(held, length, handed, 1000);
                seenDuringTake[1] = cache.isResident(handed, 0) ? 1 : 0;
                seenDuringTake[2] = cache.pinnedSkips();
            }

            @Override
            public long destination(final int length)
            {
                throw new AssertionError("a read inside one chunk is handed over");
            }
        };

        assertThat(cache.read(handed, 1000, 5000, sink)).isEqualTo(5000);

        assertThat(seenDuringTake[0]).as("first wrong byte in the handed memory").isEqualTo(-1L);
        assertThat(seenDuringTake[1]).as("still resident while handed").isEqualTo(1L);
        assertThat(seenDuringTake[2]).as("victims passed over").isPositive();
        assertThat(cache.residentBytes()).isLessThanOrEqualTo(4L * CHUNK);
        for (int c = 16; c < 24; c++)
        {
            assertThat(putChunk(cache, churn, c, scratch)).isTrue();
        }
        assertThat(cache.isResident(handed, 0)).as("evictable again once the sink returned").isFalse();
    }

    @Test
    void keepsResidentBytesWithinBudgetWhileFourTimesTheBudgetIsInserted() throws Exception
    {
        open(BUDGET);
        final List<CacheFileIdentity> files = new ArrayList<>();
        for (int f = 0; f < 16; f++)
        {
            files.add(TestChunks.file(100 + f, 16L * CHUNK));
        }
        long inserted = 0;
        for (final CacheFileIdentity file : files)
        {
            for (int c = 0; c < 16; c++)
            {
                assertThat(putChunk(cache, file, c, scratch)).isTrue();
                inserted += CHUNK;
                assertThat(cache.residentBytes()).isLessThanOrEqualTo(BUDGET);
                assertThat(cache.mapSize()).isEqualTo(cache.residentChunks());
            }
        }

        assertThat(inserted).isEqualTo(4 * BUDGET);
        assertThat(cache.bytesInserted()).isEqualTo(inserted);
        assertThat(cache.evictions()).isGreaterThanOrEqualTo(3 * BUDGET / CHUNK);
        assertThat(cache.rejectedPuts()).isZero();

        int resident = 0;
        for (final CacheFileIdentity file : files)
        {
            for (int c = 0; c < 16; c++)
            {
                final int r = cache.read(file, (long)c * CHUNK, CHUNK, dest.addressOffset());
                if (cache.isResident(file, c))
                {
                    resident++;
                    assertThat(r).isEqualTo(CHUNK);
                    assertThat(firstMismatch(dest, CHUNK, file, (long)c * CHUNK)).isEqualTo(-1L);
                }
                else
                {
                    assertThat(r).as("evicted chunk %d of %s", c, file).isEqualTo(ChunkCache.MISS);
                }
            }
        }
        assertThat(resident).isEqualTo(cache.residentChunks()).isLessThanOrEqualTo((int)(BUDGET / CHUNK));
        assertThat(cache.config().maxChunks()).as("map units: no memory beyond the budget").isLessThanOrEqualTo((int)(BUDGET / CHUNK));
        assertThat(cache.isResident(files.get(15), 15)).as("last chunk put").isTrue();
    }

    @Test
    void givesAChunkReadSinceTheLastSweepASecondChance() throws Exception
    {
        open(4L * CHUNK);
        final CacheFileIdentity file = TestChunks.file(200, 16L * CHUNK);
        for (int c = 0; c < 5; c++)
        {
            assertThat(putChunk(cache, file, c, scratch)).isTrue();
        }
        // Budget of 4: putting chunk 4 swept every reference and evicted chunk 0.
        assertThat(cache.isResident(file, 0)).isFalse();

        assertThat(cache.read(file, CHUNK, 10, dest.addressOffset())).isEqualTo(10);
        assertThat(putChunk(cache, file, 5, scratch)).isTrue();

        assertThat(cache.isResident(file, 1)).as("read chunk survives").isTrue();
        assertThat(cache.isResident(file, 2)).as("unread chunk is the victim").isFalse();
    }

    @Test
    void boundsTheNumberOfEntriesWhenManyFilesAreSmallerThanAChunk() throws Exception
    {
        open(BUDGET);
        final int files = 1000;
        for (int f = 0; f < files; f++)
        {
            final CacheFileIdentity tiny = TestChunks.file(1000 + f, 1000 + f);
            assertThat(putChunk(cache, tiny, 0, scratch)).as("put of tiny file %d", f).isTrue();
            assertThat(cache.residentChunks()).isLessThanOrEqualTo(cache.config().maxChunks());
        }

        assertThat(cache.rejectedPuts()).isZero();
        assertThat(cache.mapSize()).isEqualTo(cache.residentChunks());
        assertThat(cache.evictions()).isEqualTo(files - cache.residentChunks());
        final CacheFileIdentity last = TestChunks.file(1000 + files - 1, 1000 + files - 1);
        assertThat(cache.read(last, 0, (int)last.fileLength(), dest.addressOffset())).isEqualTo((int)last.fileLength());
        assertThat(firstMismatch(dest, (int)last.fileLength(), last, 0)).isEqualTo(-1L);
    }

    @Test
    void neverServesAnotherFilesBytesWhenTwoFilesCollideOnOneKey() throws Exception
    {
        open(BUDGET);
        final long forcedKey = 0x1234_5678_9ABC_DEF0L;
        final CacheFileIdentity a = CacheFileIdentity.withForcedFileKey(infoHash(7), 0, 4L * CHUNK, forcedKey);
        final CacheFileIdentity b = CacheFileIdentity.withForcedFileKey(infoHash(8), 0, 4L * CHUNK, forcedKey);

        assertThat(putChunk(cache, a, 0, scratch)).isTrue();
        assertThat(cache.read(b, 0, 100, dest.addressOffset())).as("b through a's entry").isEqualTo(ChunkCache.MISS);
        assertThat(cache.isResident(b, 0)).isFalse();
        assertThat(cache.keyCollisions()).isPositive();

        assertThat(putChunk(cache, b, 0, scratch)).isTrue();
        assertThat(cache.read(a, 0, 100, dest.addressOffset())).as("a through b's entry").isEqualTo(ChunkCache.MISS);
        assertThat(cache.read(b, 0, CHUNK, dest.addressOffset())).isEqualTo(CHUNK);
        assertThat(firstMismatch(dest, CHUNK, b, 0)).isEqualTo(-1L);
        assertThat(cache.residentChunks()).isEqualTo(1);
        assertThat(cache.residentBytes()).isEqualTo(CHUNK);
    }

    @Test
    void neverServesAnotherFilesBytesWhenSameInfoHashDiffersOnlyInFileIndex() throws Exception
    {
        open(BUDGET);
        final long forcedKey = 42;
        final CacheFileIdentity a = CacheFileIdentity.withForcedFileKey(infoHash(9), 1, 2L * CHUNK, forcedKey);
        final CacheFileIdentity b = CacheFileIdentity.withForcedFileKey(infoHash(9), 2, 2L * CHUNK, forcedKey);

        assertThat(putChunk(cache, a, 1, scratch)).isTrue();

        assertThat(cache.read(b, CHUNK, 10, dest.addressOffset())).isEqualTo(ChunkCache.MISS);
        assertThat(cache.read(a, CHUNK, 10, dest.addressOffset())).isEqualTo(10);
        assertThat(firstMismatch(dest, 10, a, CHUNK)).isEqualTo(-1L);
    }
}
