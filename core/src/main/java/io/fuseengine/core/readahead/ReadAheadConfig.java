package io.fuseengine.core.readahead;

import io.fuseengine.core.config.EngineConfig;

/**
 * Settings of a {@link StreamingReader}. Immutable. The chunk size is the cache's ({@code ChunkCacheConfig}); these
 * are the read-ahead policy and its resource bounds.
 */
public final class ReadAheadConfig
{
    /** Default cap on read-ahead fetcher threads (each holds one backend connection while it fetches). */
    public static final int DEFAULT_MAX_FETCHERS = 3;
    public static final int DEFAULT_FOREGROUND_BUFFERS = 2;
    public static final int DEFAULT_TRACKED_FETCHES = 64;
    public static final int DEFAULT_SEQUENTIAL_READS = 3;
    public static final long DEFAULT_SEQUENTIAL_SLACK = 1024 * 1024;

    private final long readAheadMax;
    private final int fetchers;
    private final int foregroundBuffers;
    private final int trackedFetches;
    private final int sequentialReads;
    private final long sequentialSlack;

    private ReadAheadConfig(final Builder b)
    {
        if (b.readAheadMax < 0)
        {
            throw new IllegalArgumentException("readAheadMax must be ≥ 0: " + b.readAheadMax);
        }
        if (b.fetchers < 0 || b.fetchers > 64)
        {
            throw new IllegalArgumentException("fetchers must be in [0, 64]: " + b.fetchers);
        }
        if (b.foregroundBuffers < 0 || b.foregroundBuffers > 64)
        {
            throw new IllegalArgumentException("foregroundBuffers must be in [0, 64]: " + b.foregroundBuffers);
        }
        if (b.trackedFetches < 1 || b.trackedFetches > 4096)
        {
            throw new IllegalArgumentException("trackedFetches must be in [1, 4096]: " + b.trackedFetches);
        }
        if (b.sequentialReads < 1 || b.sequentialSlack < 0)
        {
            throw new IllegalArgumentException("sequentialReads ≥ 1 and sequentialSlack ≥ 0 required");
        }
        this.readAheadMax = b.readAheadMax;
        this.fetchers = b.fetchers;
        this.foregroundBuffers = b.foregroundBuffers;
        this.trackedFetches = b.trackedFetches;
        this.sequentialReads = b.sequentialReads;
        this.sequentialSlack = b.sequentialSlack;
    }

    public static Builder builder()
    {
        return new Builder();
    }

    /**
     * @return the settings for an engine: read-ahead-max from the config, and {@code max-connections − 1} fetchers
     * (at most {@link #DEFAULT_MAX_FETCHERS}) so a foreground read always finds a connection. With
     * {@code max-connections = 1} there is no read-ahead at all.
     */
    public static ReadAheadConfig from(final EngineConfig config)
    {
        return builder()
            .readAheadMax(config.readAheadMax())
            .fetchers(Math.max(0, Math.min(DEFAULT_MAX_FETCHERS, config.maxConnections() - 1)))
            .build();
    }

    /** Largest read-ahead window of one sequential reader, in bytes (0: no read-ahead, no probe prefetch). */
    public long readAheadMax()
    {
        return readAheadMax;
    }

    /**
     * Read-ahead fetcher threads ({@code fe-readahead-N}). Each fetches into cache entries it reserves, and into a
     * staging buffer of its own only when the cache cannot reserve one.
     */
    public int fetchers()
    {
        return fetchers;
    }

    /** Foreground fetcher threads ({@code fe-fetch-N}) for readers' whole-chunk misses (more concurrent ones read directly). */
    public int foregroundBuffers()
    {
        return foregroundBuffers;
    }

    /**
     * Chunk staging buffers a {@link StreamingReader} with these settings may fill: one per fetcher thread
     * ({@link #fetchers} when read-ahead is on, plus {@link #foregroundBuffers}). Each is one chunk of native memory,
     * allocated when its fetcher first finds no cache entry to reserve (never, while the map has an evictable entry),
     * and counted in the budget either way.
     */
    public int stagingBuffers()
    {
        return (fetchers > 0 && readAheadMax > 0 ? fetchers : 0) + foregroundBuffers;
    }

    /**
     * The chunk map's share of a cache budget that also pays for the {@link #stagingBuffers} (so chunk memory, cached
     * and in flight, stays within {@code cacheSize}): {@code cacheSize − stagingBuffers × chunkSize}, unless that
     * would leave the map less than two chunks or less than twice {@link #readAheadMax} (read-ahead would evict
     * itself); then {@code cacheSize} and the staging buffers come on top.
     *
     * @param cacheSize the whole budget ({@code --cache-size}).
     * @param chunkSize the cache's chunk size.
     * @return the map's budget in bytes.
     */
    public long mapBudget(final long cacheSize, final int chunkSize)
    {
        final long map = cacheSize - (long)stagingBuffers() * chunkSize;
        return map >= 2L * chunkSize && map >= 2 * readAheadMax ? map : cacheSize;
    }

    /** Chunk fetches queued or in flight at once, all files together (the in-flight table's capacity). */
    public int trackedFetches()
    {
        return trackedFetches;
    }

    /** Consecutive sequential reads (outside media-probe chunks) before a stream's read-ahead window opens. */
    public int sequentialReads()
    {
        return sequentialReads;
    }

    /** A read starting within this many bytes of where the stream's reads ended counts as sequential. */
    public long sequentialSlack()
    {
        return sequentialSlack;
    }

    @Override
    public String toString()
    {
        return "ReadAheadConfig{readAheadMax=" + readAheadMax + ", fetchers=" + fetchers + ", foregroundBuffers="
            + foregroundBuffers + ", trackedFetches=" + trackedFetches + ", sequentialReads=" + sequentialReads
            + ", sequentialSlack=" + sequentialSlack + '}';
    }

    /** Mutable builder; not thread-safe. */
    public static final class Builder
    {
        private long readAheadMax = 32L * 1024 * 1024;
        private int fetchers = DEFAULT_MAX_FETCHERS;
        private int foregroundBuffers = DEFAULT_FOREGROUND_BUFFERS;
        private int trackedFetches = DEFAULT_TRACKED_FETCHES;
        private int sequentialReads = DEFAULT_SEQUENTIAL_READS;
        private long sequentialSlack = DEFAULT_SEQUENTIAL_SLACK;

        private Builder()
        {
        }

        public Builder readAheadMax(final long bytes)
        {
            this.readAheadMax = bytes;
            return this;
        }

        public Builder fetchers(final int n)
        {
            this.fetchers = n;
            return this;
        }

        public Builder foregroundBuffers(final int n)
        {
            this.foregroundBuffers = n;
            return this;
        }

        public Builder trackedFetches(final int n)
        {
            this.trackedFetches = n;
            return this;
        }

        public Builder sequentialReads(final int n)
        {
            this.sequentialReads = n;
            return this;
        }

        public Builder sequentialSlack(final long bytes)
        {
            this.sequentialSlack = bytes;
            return this;
        }

        public ReadAheadConfig build()
        {
            return new ReadAheadConfig(this);
        }
    }
}
