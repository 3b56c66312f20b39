package io.fuseengine.core.cache;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static io.fuseengine.core.cache.TestChunks.*;
import static org.assertj.core.api.Assertions.assertThat;

class ChunkCacheRoundTripTest
{
    private static final int CHUNK = 64 * 1024;
    /** Three full chunks and a short last one. */
    private static final long LENGTH = 3L * CHUNK + 10_000;

    private static ChunkCache cache;
    private static CacheFileIdentity file;
    private static UnsafeBuffer scratch;
    private static UnsafeBuffer dest;

    @BeforeAll
    static void openAndFill() throws Exception
    {
        cache = ChunkCache.open(ChunkCacheConfig.builder().chunkSize(CHUNK).budgetBytes(16L * CHUNK).build());
        file = TestChunks.file(1, LENGTH);
        scratch = nativeBuffer(CHUNK);
        dest = nativeBuffer(4 * CHUNK);
        putFile(cache, file, scratch);
    }

    @AfterAll
    static void close()
    {
        cache.close();
    }

    private static void assertServed(final long offset, final int length)
    {
        dest.setMemory(0, length, (byte)0x5A);
        assertThat(cache.read(file, offset, length, dest.addressOffset()))
            .as("read %d bytes at %d", length, offset).isEqualTo(length);
        assertThat(firstMismatch(dest, length, file, offset)).as("first wrong byte").isEqualTo(-1L);
    }

    @Test
    void servesBytesInsideOneChunkExactly()
    {
        assertServed(100, 1000);
        assertServed(CHUNK + 17, 4096);
        assertServed(0, CHUNK);
    }

    @Test
    void servesReadsThatSpanTwoOrMoreChunks()
    {
        assertServed(CHUNK - 500, 1000);
        assertServed(2L * CHUNK - 1, 2);
        assertServed(1000, 2 * CHUNK);
    }

    @Test
    void servesTheShortLastChunkUpToEndOfFile()
    {
        assertServed(3L * CHUNK, 10_000);
        assertServed(LENGTH - 1, 1);
        assertServed(3L * CHUNK - 300, 10_300);
    }

    @Test
    void missesReadsPastEndOfFile()
    {
        assertThat(cache.read(file, LENGTH - 10, 20, dest.addressOffset())).isEqualTo(ChunkCache.MISS);
        assertThat(cache.read(file, LENGTH, 1, dest.addressOffset())).isEqualTo(ChunkCache.MISS);
        assertThat(cache.read(file, -1, 1, dest.addressOffset())).isEqualTo(ChunkCache.MISS);
        assertThat(cache.read(file, Long.MAX_VALUE - 5, 100, dest.addressOffset())).isEqualTo(ChunkCache.MISS);
    }

    @Test
    void servesRandomRangesByteExact()
    {
        final SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < 300; i++)
        {
            final int length = 1 + random.nextInt(2 * CHUNK);
            final long offset = random.nextLong(LENGTH - length + 1);
            assertServed(offset, length);
        }
    }

    @Test
    void missesWhenOnlyPartOfTheRangeIsResident()
    {
        final CacheFileIdentity partial = TestChunks.file(2, 4L * CHUNK);
        assertThat(putChunk(cache, partial, 0, scratch)).isTrue();

        assertThat(cache.read(partial, CHUNK - 100, 200, dest.addressOffset())).isEqualTo(ChunkCache.MISS);
        assertThat(cache.read(partial, 0, 100, dest.addressOffset())).isEqualTo(100);
        assertThat(cache.isResident(partial, 0)).isTrue();
        assertThat(cache.isResident(partial, 1)).isFalse();
    }

    @Test
    void refusesChunksThatAreNotExactlyTheChunksFullLength()
    {
        final CacheFileIdentity other = TestChunks.file(3, LENGTH);
        final long before = cache.rejectedPuts();

        assertThat(cache.put(other, 0, scratch.addressOffset(), CHUNK - 1)).isFalse();
        assertThat(cache.put(other, 3, scratch.addressOffset(), CHUNK)).isFalse();
        assertThat(cache.put(other, 4, scratch.addressOffset(), 1)).isFalse();
        assertThat(cache.put(other, -1, scratch.addressOffset(), CHUNK)).isFalse();

        assertThat(cache.rejectedPuts() - before).isEqualTo(4);
        assertThat(cache.isResident(other, 0)).isFalse();
    }

    @Test
    void missesForAFileThatWasNeverPut()
    {
        final CacheFileIdentity never = TestChunks.file(4, LENGTH);
        assertThat(cache.read(never, 0, 10, dest.addressOffset())).isEqualTo(ChunkCache.MISS);
    }

    @Test
    void acceptsAPutOfAChunkAlreadyResidentWithoutGrowing()
    {
        final long bytes = cache.residentBytes();
        final int chunks = cache.residentChunks();

        assertThat(putChunk(cache, file, 1, scratch)).isTrue();

        assertThat(cache.residentBytes()).isEqualTo(bytes);
        assertThat(cache.residentChunks()).isEqualTo(chunks);
        assertServed(CHUNK, CHUNK);
    }
}
