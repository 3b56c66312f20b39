package io.fuseengine.core.readahead;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ReadAheadConfigTest
{
    private static final int MIB = 1024 * 1024;
    private static final int CHUNK = 4 * MIB;

    @Test
    void defaultBudgetPaysForTheFetchBuffersSoAllChunkMemoryStaysWithinCacheSize()
    {
        final ReadAheadConfig c = ReadAheadConfig.builder().readAheadMax(32L * MIB).build();
        assertThat(c.stagingBuffers()).isEqualTo(ReadAheadConfig.DEFAULT_MAX_FETCHERS + ReadAheadConfig.DEFAULT_FOREGROUND_BUFFERS);
        final long map = c.mapBudget(512L * MIB, CHUNK);
        assertThat(map).isEqualTo(512L * MIB - 5L * CHUNK);
        assertThat(map + (long)c.stagingBuffers() * CHUNK).isEqualTo(512L * MIB);
    }

    @Test
    void withoutReadAheadOnlyTheForegroundBuffersAreStaged()
    {
        final ReadAheadConfig noWindow = ReadAheadConfig.builder().readAheadMax(0).build();
        final ReadAheadConfig noFetchers = ReadAheadConfig.builder().readAheadMax(32L * MIB).fetchers(0).build();
        assertThat(noWindow.stagingBuffers()).isEqualTo(ReadAheadConfig.DEFAULT_FOREGROUND_BUFFERS);
        assertThat(noFetchers.stagingBuffers()).isEqualTo(ReadAheadConfig.DEFAULT_FOREGROUND_BUFFERS);
        assertThat(noWindow.mapBudget(64L * MIB, CHUNK)).isEqualTo(64L * MIB - 2L * CHUNK);
    }

    @Test
    void aBudgetTooSmallToSplitKeepsTheWholeCacheSizeForTheMap()
    {
        final ReadAheadConfig c = ReadAheadConfig.builder().readAheadMax(32L * MIB).build();
        // 64 MiB - 20 MiB = 44 MiB < 2 x 32 MiB: the read-ahead window could evict itself
        assertThat(c.mapBudget(64L * MIB, CHUNK)).isEqualTo(64L * MIB);
        // 8 MiB - 20 MiB < two chunks
        assertThat(ReadAheadConfig.builder().readAheadMax(0).fetchers(3).foregroundBuffers(2).build().mapBudget(8L * MIB, CHUNK))
            .isEqualTo(8L * MIB);
        // exactly at the bound: split
        assertThat(c.mapBudget(84L * MIB, CHUNK)).isEqualTo(64L * MIB);
    }
}
