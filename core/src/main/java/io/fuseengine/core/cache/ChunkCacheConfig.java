package io.fuseengine.core.cache;

import java.nio.file.Path;

/**
 * Settings of a {@link ChunkCache} and the map geometry derived from them. Immutable.
 * <p>
 * Geometry: the map has {@link #segments()} segments of {@link #chunksPerSegment()} entries each, and one Chronicle
 * allocation unit per entry ({@link ChunkLayout#mapUnitSize}). The cache evicts before a segment would overflow, so
 * the map never grows past its configured size: its memory is bounded by
 * {@link #mapCapacityBytes()} (the budget rounded down to whole chunks, plus Chronicle's per-entry overhead) whatever
 * the number of files, while resident chunk bytes are bounded by {@link #budgetBytes()}.
 */
public final class ChunkCacheConfig
{
    public static final int DEFAULT_CHUNK_SIZE = 4 * 1024 * 1024;
    public static final long DEFAULT_BUDGET_BYTES = 512L * 1024 * 1024;
    public static final int DEFAULT_READER_CURSORS = 64;
    public static final int MIN_CHUNK_SIZE = 4096;
    public static final int MAX_CHUNK_SIZE = 64 * 1024 * 1024;
    public static final int MAX_SEGMENTS = 16;
    /**
     * Aim for at least this many entries per segment when choosing the segment count. A full segment must evict
     * within itself, so with small segments the uneven spread of keys evicts chunks just fetched while colder ones
     * sit in other segments (measured: 16 per segment re-fetched ~5 % of a 256 MiB re-read of a 512 MiB cache).
     * Puts serialise on the cache's writer lock anyway, so more segments buy little.
     */
    public static final int MIN_CHUNKS_PER_SEGMENT = 64;

    private final int chunkSize;
    private final int chunkShift;
    private final long budgetBytes;
    private final Path cacheFile;
    private final int readerCursors;
    private final int segments;
    private final int chunksPerSegment;

    private ChunkCacheConfig(final Builder b)
    {
        if (b.chunkSize < MIN_CHUNK_SIZE || b.chunkSize > MAX_CHUNK_SIZE || Integer.bitCount(b.chunkSize) != 1)
        {
            throw new IllegalArgumentException(
                "chunkSize must be a power of two in [" + MIN_CHUNK_SIZE + ", " + MAX_CHUNK_SIZE + "]: " + b.chunkSize);
        }
        if (b.budgetBytes < b.chunkSize)
        {
            throw new IllegalArgumentException("budgetBytes (" + b.budgetBytes + ") must hold one chunk (" + b.chunkSize + ")");
        }
        if (b.readerCursors < 1 || b.readerCursors > 4096)
        {
            throw new IllegalArgumentException("readerCursors must be in [1, 4096]: " + b.readerCursors);
        }
        this.chunkSize = b.chunkSize;
        this.chunkShift = Integer.numberOfTrailingZeros(b.chunkSize);
        this.budgetBytes = b.budgetBytes;
        this.cacheFile = b.cacheFile;
        this.readerCursors = b.readerCursors;

        final long fullChunks = b.budgetBytes / b.chunkSize;
        if (fullChunks > (1 << 24))
        {
            throw new IllegalArgumentException("budget / chunkSize too large: " + fullChunks + " chunks");
        }
        // One map unit per budget chunk and no more: every unit the map has is eventually touched (eviction frees
        // and insertion reuses them in any order), so entries beyond budget / chunk size would be resident memory
        // beyond the budget (measured: 25 % headroom cost 128 MiB of RSS with a 512 MiB budget). A full segment
        // evicts within itself; a short last chunk holds a whole unit (the budget then holds fewer payload bytes).
        final long entries = Math.max(1, fullChunks);
        final int s = b.segments > 0 ? b.segments
            : (int)Math.max(1, Math.min(MAX_SEGMENTS, Long.highestOneBit(Math.max(1, fullChunks / MIN_CHUNKS_PER_SEGMENT))));
        if (s > MAX_SEGMENTS)
        {
            throw new IllegalArgumentException("segments must be at most " + MAX_SEGMENTS + ": " + s);
        }
        this.segments = s;
        this.chunksPerSegment = (int)Math.max(1, entries / s);
    }

    public static Builder builder()
    {
        return new Builder();
    }

    /** Payload bytes of a full chunk (a power of two). */
    public int chunkSize()
    {
        return chunkSize;
    }

    /** log2 of {@link #chunkSize()}. */
    public int chunkShift()
    {
        return chunkShift;
    }

    /** Resident chunk payload bytes never exceed this. */
    public long budgetBytes()
    {
        return budgetBytes;
    }

    /** Persisted map file, or null for a cache that lives in memory only. */
    public Path cacheFile()
    {
        return cacheFile;
    }

    /** Concurrent {@link ChunkCache#read} calls served at once; more concurrent calls miss. */
    public int readerCursors()
    {
        return readerCursors;
    }

    public int segments()
    {
        return segments;
    }

    /** Entries one segment holds at most; the cache evicts within a segment before it would overflow. */
    public int chunksPerSegment()
    {
        return chunksPerSegment;
    }

    /** Entries the map holds at most. */
    public int maxChunks()
    {
        return segments * chunksPerSegment;
    }

    /** Chronicle Map allocation unit: one entry of a full chunk. */
    public int mapUnitSize()
    {
        return ChunkLayout.mapUnitSize(chunkSize);
    }

    /** Upper bound of the map's entry memory (virtual; pages are touched as chunks are written). */
    public long mapCapacityBytes()
    {
        return (long)maxChunks() * mapUnitSize();
    }

    @Override
    public String toString()
    {
        return "ChunkCacheConfig{chunkSize=" + chunkSize + ", budgetBytes=" + budgetBytes + ", cacheFile=" + cacheFile
            + ", readerCursors=" + readerCursors + ", segments=" + segments + ", chunksPerSegment=" + chunksPerSegment + '}';
    }

    /**
     * Mutable builder; not thread-safe.
     */
    public static final class Builder
    {
        private int chunkSize = DEFAULT_CHUNK_SIZE;
        private long budgetBytes = DEFAULT_BUDGET_BYTES;
        private Path cacheFile;
        private int readerCursors = DEFAULT_READER_CURSORS;
        private int segments;

        private Builder()
        {
        }

        public Builder chunkSize(final int chunkSize)
        {
            this.chunkSize = chunkSize;
            return this;
        }

        public Builder budgetBytes(final long budgetBytes)
        {
            this.budgetBytes = budgetBytes;
            return this;
        }

        /** @param cacheFile persisted map file, or null (the default) for memory only. */
        public Builder cacheFile(final Path cacheFile)
        {
            this.cacheFile = cacheFile;
            return this;
        }

        public Builder readerCursors(final int readerCursors)
        {
            this.readerCursors = readerCursors;
            return this;
        }

        /** @param segments map segments (0: derived from the budget). */
        public Builder segments(final int segments)
        {
            this.segments = segments;
            return this;
        }

        public ChunkCacheConfig build()
        {
            return new ChunkCacheConfig(this);
        }
    }
}
