package io.fuseengine.core.cache;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

import static io.fuseengine.core.cache.TestChunks.*;
import static org.assertj.core.api.Assertions.assertThat;

class ChunkCachePersistenceTest
{
    private static final int CHUNK = 64 * 1024;
    private static final long BUDGET = 16L * CHUNK;

    @TempDir
    Path dir;

    private final UnsafeBuffer scratch = nativeBuffer(2 * CHUNK);
    private final UnsafeBuffer dest = nativeBuffer(2 * CHUNK);
    private final CacheFileIdentity fileA = TestChunks.file(600, 5L * CHUNK + 777);
    private final CacheFileIdentity fileB = TestChunks.file(601, 3L * CHUNK);

    private ChunkCacheConfig config(final int chunkSize)
    {
        return ChunkCacheConfig.builder().chunkSize(chunkSize).budgetBytes(BUDGET).cacheFile(dir.resolve("chunks.cm")).build();
    }

    private void createWithTwoFiles() throws Exception
    {
        try (ChunkCache cache = ChunkCache.open(config(CHUNK)))
        {
            assertThat(cache.openOutcome()).isEqualTo(ChunkCache.OpenOutcome.CREATED);
            putFile(cache, fileA, scratch);
            putFile(cache, fileB, scratch);
        }
    }

    private void assertWholeFileServed(final ChunkCache cache, final CacheFileIdentity file)
    {
        for (long offset = 0; offset < file.fileLength(); offset += CHUNK / 2)
        {
            final int length = (int)Math.min(CHUNK, file.fileLength() - offset);
            assertThat(cache.read(file, offset, length, dest.addressOffset())).isEqualTo(length);
            assertThat(firstMismatch(dest, length, file, offset)).isEqualTo(-1L);
        }
    }

    private void assertServesNothingStale(final ChunkCache cache)
    {
        assertThat(cache.residentChunks()).isZero();
        assertThat(cache.read(fileA, 0, 100, dest.addressOffset())).isEqualTo(ChunkCache.MISS);
        assertThat(cache.read(fileB, CHUNK, 100, dest.addressOffset())).isEqualTo(ChunkCache.MISS);
    }

    @Test
    void servesTheSameBytesAfterReopening() throws Exception
    {
        createWithTwoFiles();

        try (ChunkCache cache = ChunkCache.open(config(CHUNK)))
        {
            assertThat(cache.openOutcome()).isEqualTo(ChunkCache.OpenOutcome.RECOVERED);
            assertThat(cache.openReason()).contains("clean close");
            assertThat(cache.residentChunks()).isEqualTo(9);
            assertThat(cache.residentBytes()).isEqualTo(fileA.fileLength() + fileB.fileLength());
            assertWholeFileServed(cache, fileA);
            assertWholeFileServed(cache, fileB);

            // the rebuilt index still enforces the budget
            for (int f = 0; f < 4; f++)
            {
                putFile(cache, TestChunks.file(610 + f, 8L * CHUNK), scratch);
                assertThat(cache.residentBytes()).isLessThanOrEqualTo(BUDGET);
            }
            assertThat(cache.mapSize()).isEqualTo(cache.residentChunks());
            assertThat(cache.evictions()).isPositive();
        }
    }

    @Test
    void recoversAndVerifiesAFileThatWasNotClosedCleanly() throws Exception
    {
        createWithTwoFiles();
        // what a killed process leaves behind: the side-car still says the map is in use
        CacheFileFormat.write(dir.resolve("chunks.cm"), config(CHUNK), ChunkLayout.STATE_OPEN);

        try (ChunkCache cache = ChunkCache.open(config(CHUNK)))
        {
            assertThat(cache.openOutcome()).isEqualTo(ChunkCache.OpenOutcome.RECOVERED);
            assertThat(cache.openReason()).contains("unclean");
            assertWholeFileServed(cache, fileA);
            assertWholeFileServed(cache, fileB);
        }
    }

    @Test
    void rebuildsAForeignFileAndServesNothingFromIt() throws Exception
    {
        final byte[] garbage = new byte[1 << 20];
        new SplittableRandom(1).nextBytes(garbage);
        Files.write(dir.resolve("chunks.cm"), garbage);

        try (ChunkCache cache = ChunkCache.open(config(CHUNK)))
        {
            assertThat(cache.openOutcome()).isEqualTo(ChunkCache.OpenOutcome.REBUILT);
            assertThat(cache.openReason()).contains("side-car");
            assertServesNothingStale(cache);
            putFile(cache, fileB, scratch);
        }
        try (ChunkCache cache = ChunkCache.open(config(CHUNK)))
        {
            assertThat(cache.openOutcome()).as("the rebuilt file is valid").isEqualTo(ChunkCache.OpenOutcome.RECOVERED);
            assertWholeFileServed(cache, fileB);
        }
    }

    @Test
    void rebuildsAMapFileOverwrittenWithGarbageDespiteAValidSideCar() throws Exception
    {
        createWithTwoFiles();
        final Path file = dir.resolve("chunks.cm");
        final byte[] garbage = new byte[(int)Math.min(Files.size(file), 4 << 20)];
        new SplittableRandom(2).nextBytes(garbage);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw"))
        {
            raf.write(garbage);
        }

        try (ChunkCache cache = ChunkCache.open(config(CHUNK)))
        {
            assertThat(cache.openOutcome()).isEqualTo(ChunkCache.OpenOutcome.REBUILT);
            assertServesNothingStale(cache);
        }
    }

    @Test
    void rebuildsAFileWrittenWithAnotherChunkSize() throws Exception
    {
        createWithTwoFiles();

        try (ChunkCache cache = ChunkCache.open(config(2 * CHUNK)))
        {
            assertThat(cache.openOutcome()).isEqualTo(ChunkCache.OpenOutcome.REBUILT);
            assertThat(cache.openReason()).contains("chunk size");
            assertServesNothingStale(cache);
        }
    }

    @Test
    void rebuildsAFileWhosePayloadWasCorrupted() throws Exception
    {
        createWithTwoFiles();
        final Path file = dir.resolve("chunks.cm");
        final byte[] bytes = Files.readAllBytes(file);
        final byte[] needle = new byte[64];
        for (int i = 0; i < needle.length; i++)
        {
            needle[i] = at(seedOf(fileB), CHUNK + 1000 + i);
        }
        final int found = indexOf(bytes, needle);
        assertThat(found).as("chunk 1 of file B in the map file").isPositive();
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw"))
        {
            raf.seek(found + 10);
            raf.write(bytes[found + 10] ^ 0x01);
        }

        try (ChunkCache cache = ChunkCache.open(config(CHUNK)))
        {
            assertThat(cache.openOutcome()).isEqualTo(ChunkCache.OpenOutcome.REBUILT);
            assertThat(cache.openReason()).contains("checksum");
            assertServesNothingStale(cache);
        }
    }

    @Test
    void rebuildsATruncatedFile() throws Exception
    {
        createWithTwoFiles();
        final Path file = dir.resolve("chunks.cm");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw"))
        {
            raf.setLength(raf.length() / 2);
        }

        try (ChunkCache cache = ChunkCache.open(config(CHUNK)))
        {
            assertThat(cache.openOutcome()).isEqualTo(ChunkCache.OpenOutcome.REBUILT);
            assertThat(cache.openReason()).contains("truncated");
            assertServesNothingStale(cache);
        }
    }

    private static int indexOf(final byte[] haystack, final byte[] needle)
    {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++)
        {
            for (int j = 0; j < needle.length; j++)
            {
                if (haystack[i + j] != needle[j])
                {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
