package io.fuseengine.fuse;

import io.fuseengine.core.cache.ChunkCache;
import io.fuseengine.core.cache.ChunkCacheConfig;
import io.fuseengine.core.config.EngineConfig;
import io.fuseengine.core.meta.RqbitMetadata;
import io.fuseengine.core.read.PieceAvailability;
import io.fuseengine.core.read.PieceRefresher;
import io.fuseengine.core.read.RangeTransport;
import io.fuseengine.core.read.ReadPipeline;
import io.fuseengine.core.readahead.ReadAheadConfig;
import io.fuseengine.core.readahead.StreamingReader;
import io.fuseengine.fuse.catalog.FirstSeenStore;
import io.fuseengine.fuse.catalog.TorrentCatalog;
import io.fuseengine.fuse.fs.OpenFileTable;
import io.fuseengine.fuse.fs.TorrentFileSystem;
import io.fuseengine.fuse.mount.FuseMount;
import io.fuseengine.fuse.mount.MountException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * The running engine as the CLI sees it: a read pipeline over the given transport, the chunk cache and the
 * streaming reader (read-ahead) in front of it, a background catalog over the given metadata client, the FUSE
 * filesystem, and its mount. fuse-adapter does not know the HTTP implementations: the caller builds them (from the
 * same {@link EngineConfig}) and hands them over; the engine owns them from then on and closes them.
 * <p>
 * The chunk cache is created once, first (a Chronicle map takes seconds to create), from {@code cache-size},
 * {@code cache-chunk-size} and {@code cache-file}; the reader's read-ahead from {@code read-ahead-max} and
 * {@code max-connections}. Their counters are exposed here for the metrics endpoint.
 * <p>
 * Piece awareness: one {@link PieceAvailability} per engine, given to the transport (before the pipeline starts it)
 * and fed by the catalog's stats round and by a {@link PieceRefresher} ({@code fe-pieces}) that polls the bitfield of
 * torrents with waiting reads; {@link #pieceAvailability()} hands it to whoever else wants to ask (read-ahead).
 * <p>
 * Threads: {@link #start} and {@link #close} from the owning thread (close is idempotent and thread-safe); the
 * accessors from anywhere.
 */
public final class MountedEngine implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(MountedEngine.class);

    private final EngineConfig config;
    private final RqbitMetadata metadata;
    private final ReadPipeline pipeline;
    private final ChunkCache cache;
    private final StreamingReader reader;
    private final TorrentCatalog catalog;
    private final PieceAvailability pieces;
    private final PieceRefresher pieceRefresher;
    private final TorrentFileSystem fileSystem;
    private final FuseMount mount;
    private boolean closed;

    private MountedEngine(
        final EngineConfig config,
        final RqbitMetadata metadata,
        final ReadPipeline pipeline,
        final ChunkCache cache,
        final StreamingReader reader,
        final TorrentCatalog catalog,
        final PieceAvailability pieces,
        final PieceRefresher pieceRefresher,
        final TorrentFileSystem fileSystem,
        final FuseMount mount)
    {
        this.config = config;
        this.pieces = pieces;
        this.pieceRefresher = pieceRefresher;
        this.metadata = metadata;
        this.pipeline = pipeline;
        this.cache = cache;
        this.reader = reader;
        this.catalog = catalog;
        this.fileSystem = fileSystem;
        this.mount = mount;
    }

    /**
     * Starts with first-seen times persisted at {@link FirstSeenStore#defaultFile()}.
     */
    public static MountedEngine start(
        final EngineConfig config, final Path mountPoint, final RqbitMetadata metadata, final RangeTransport transport)
    {
        return start(config, mountPoint, metadata, transport, FirstSeenStore.open(FirstSeenStore.defaultFile()));
    }

    /**
     * Opens the chunk cache, builds the pipeline and the streaming reader, lists the torrents (waiting at most twice
     * the metadata timeout: if rqbit is down the mount starts empty and fills in when it is back), and mounts (which
     * raises the kernel read-ahead if {@link FuseMount#READ_AHEAD_KB_OPTION} is configured).
     *
     * @throws MountException if the cache cannot be opened or the mount fails (everything started is closed again).
     */
    public static MountedEngine start(
        final EngineConfig config,
        final Path mountPoint,
        final RqbitMetadata metadata,
        final RangeTransport transport,
        final FirstSeenStore firstSeen)
    {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(metadata, "metadata");
        Objects.requireNonNull(transport, "transport");
        final ReadAheadConfig readAhead = ReadAheadConfig.from(config);
        final ChunkCache cache;
        try
        {
            cache = openCache(config, readAhead);
        }
        catch (final RuntimeException | Error ex)
        {
            closeAll(null, null, null, null, null, transport, metadata);
            throw ex;
        }
        ReadPipeline pipeline = null;
        StreamingReader reader = null;
        TorrentCatalog catalog = null;
        PieceRefresher refresher = null;
        try
        {
            final PieceAvailability pieces = new PieceAvailability();
            transport.pieceAvailability(pieces);
            pipeline = new ReadPipeline(config.readSlots(), config.ringSize(), config.readTimeout().toNanos(), transport);
            reader = new StreamingReader(pipeline, cache, readAhead, pieces);
            catalog = new TorrentCatalog(
                metadata, config.refreshInterval(), config.metadataTimeout().multipliedBy(2), firstSeen);
            catalog.pieceAvailability(pieces);
            refresher = new PieceRefresher(metadata, pieces, config.readTimeout(), config.metadataTimeout());
            refresher.start();
            catalog.start();
            final TorrentFileSystem fs = new TorrentFileSystem(
                catalog::tree, pipeline, reader, new OpenFileTable(TorrentFileSystem.DEFAULT_MAX_OPEN_FILES));
            fs.torrentControl(catalog, config.allowRemove());
            final FuseMount mount = FuseMount.mount(fs, mountPoint, config);
            LOG.info("fuse-engine serving {} torrents from {} at {}", catalog.tree().torrentCount(), config.rqbitUrl(),
                mount.mountPoint());
            return new MountedEngine(config, metadata, pipeline, cache, reader, catalog, pieces, refresher, fs, mount);
        }
        catch (final RuntimeException | Error ex)
        {
            closeAll(catalog, refresher, reader, pipeline, cache, pipeline == null ? transport : null, metadata);
            throw ex;
        }
    }

    /** The cache-size budget pays for the map and the reader's fetch staging buffers (see {@link ReadAheadConfig#mapBudget}). */
    private static ChunkCache openCache(final EngineConfig config, final ReadAheadConfig readAhead)
    {
        final long mapBudget = readAhead.mapBudget(config.cacheSize(), config.cacheChunkSize());
        final long staging = (long)readAhead.stagingBuffers() * config.cacheChunkSize();
        final ChunkCacheConfig cc = ChunkCacheConfig.builder()
            .chunkSize(config.cacheChunkSize())
            .budgetBytes(mapBudget)
            .cacheFile(config.cacheFile())
            .build();
        try
        {
            final ChunkCache cache = ChunkCache.open(cc);
            LOG.info("chunk cache: {} KiB of {} KiB chunks + up to {} fetch staging buffers of one chunk, {} cache-size {} KiB ({}), {}",
                mapBudget >> 10, config.cacheChunkSize() >> 10, readAhead.stagingBuffers(),
                mapBudget + staging <= config.cacheSize() ? "within" : "on top of", config.cacheSize() >> 10,
                cache.openOutcome(), config.cacheFile() == null ? "in memory" : config.cacheFile());
            return cache;
        }
        catch (final IOException ex)
        {
            throw new MountException("cannot open the chunk cache file " + config.cacheFile() + ": " + ex.getMessage(), ex);
        }
    }

    /** Closes what a failed start opened, in close order; nulls are skipped. Never throws past the first error. */
    private static void closeAll(
        final TorrentCatalog catalog,
        final PieceRefresher refresher,
        final StreamingReader reader,
        final ReadPipeline pipeline,
        final ChunkCache cache,
        final RangeTransport transportWithoutPipeline,
        final RqbitMetadata metadata)
    {
        final AutoCloseable[] order = {catalog, refresher, reader, pipeline, transportWithoutPipeline, cache, metadata};
        for (final AutoCloseable c : order)
        {
            if (c == null)
            {
                continue;
            }
            try
            {
                c.close();
            }
            catch (final Exception ex)
            {
                LOG.warn("closing {} after a failed start failed: {}", c.getClass().getSimpleName(), ex.toString());
            }
        }
    }

    public EngineConfig config()
    {
        return config;
    }

    public TorrentCatalog catalog()
    {
        return catalog;
    }

    public ReadPipeline pipeline()
    {
        return pipeline;
    }

    public TorrentFileSystem fileSystem()
    {
        return fileSystem;
    }

    /** The chunk cache (its own counters: resident bytes, key collisions, ...). */
    public ChunkCache cache()
    {
        return cache;
    }

    /** The streaming reader (its own counters: in-flight waits, direct reads, failed fetches, ...). */
    public StreamingReader reader()
    {
        return reader;
    }

    /**
     * The engine's piece availability: which pieces rqbit has, per torrent. Read-ahead may ask
     * {@link PieceAvailability#classify} or {@link PieceAvailability#availableBytes} (allocation-free, any thread)
     * before it queues a chunk, so it does not queue far ahead of what the swarm delivers. Also its counters (reads
     * admitted available / missing / unknown, paused fast-fails).
     */
    public PieceAvailability pieceAvailability()
    {
        return pieces;
    }

    /** The thread that polls rqbit's piece bitfields (its counters: polls, haves fetches and failures). */
    public PieceRefresher pieceRefresher()
    {
        return pieceRefresher;
    }

    /** Reads served entirely from the chunk cache on arrival (no ring, no transport). */
    public long cacheHits()
    {
        return reader.hits();
    }

    /** Reads not entirely resident on arrival (served by waiting for a fetch, a chunk fetch or a direct read). */
    public long cacheMisses()
    {
        return reader.misses();
    }

    /** Bytes fetched from rqbit into the cache (whole chunks: read-ahead, probe prefetch, foreground chunk fetches). */
    public long cacheBytesFetched()
    {
        return cache.bytesInserted();
    }

    /** Chunks evicted from the cache to make room. */
    public long cacheEvictions()
    {
        return cache.evictions();
    }

    /** Read-ahead chunks evicted before their reader got to them. */
    public long readAheadWasted()
    {
        return reader.readAheadWasted();
    }

    /** Queued or in-flight read-ahead fetches cancelled by a seek or a close. */
    public long readAheadCancellations()
    {
        return reader.cancellations();
    }

    /**
     * Any thread: observer of every FUSE read's duration in nanoseconds, called on the FUSE thread right after
     * the read (must be quick and allocation-free, e.g. a latency histogram); null for none.
     */
    public void readObserver(final LongConsumer observer)
    {
        fileSystem.readObserver(observer);
    }

    public Path mountPoint()
    {
        return mount.mountPoint();
    }

    /**
     * Any thread: waits until the FUSE session has ended and libfuse has torn it down, which happens when the mount
     * is removed from outside ({@code fusermount -u}, {@code umount}, an aborted connection) as well as after
     * {@link #close}.
     *
     * @return true if the session ended within the timeout.
     */
    public boolean awaitSessionEnd(final long timeout, final TimeUnit unit) throws InterruptedException
    {
        return fileSystem.sessionLoop().awaitTeardown(timeout, unit);
    }

    /**
     * Runs a catalog refresh now (tests, CLI), bounded by twice the metadata timeout.
     *
     * @return true if rqbit answered and every new torrent was laid out.
     */
    public boolean refreshNow()
    {
        return catalog.refreshNow(config.metadataTimeout().multipliedBy(2));
    }

    /**
     * Unmounts (bounded, 5–10 s at worst), then stops the catalog refresher, the piece refresher, the streaming reader
     * (its fetchers), the pipeline (and with it the transport), the chunk cache (a persisted one is marked clean) and
     * the metadata client, in that order: nothing is closed while something before it may still use it.
     */
    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        final long t0 = System.nanoTime();
        try
        {
            mount.close();
        }
        finally
        {
            closeAll(catalog, pieceRefresher, reader, pipeline, cache, null, metadata);
        }
        LOG.info("fuse-engine stopped in {} ms", Duration.ofNanos(System.nanoTime() - t0).toMillis());
    }
}
