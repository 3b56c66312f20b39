package io.fuseengine.fuse;

import io.fuseengine.core.config.EngineConfig;
import io.fuseengine.core.meta.RqbitMetadata;
import io.fuseengine.core.read.RangeTransport;
import io.fuseengine.core.read.ReadPipeline;
import io.fuseengine.fuse.catalog.FirstSeenStore;
import io.fuseengine.fuse.catalog.TorrentCatalog;
import io.fuseengine.fuse.fs.OpenFileTable;
import io.fuseengine.fuse.fs.TorrentFileSystem;
import io.fuseengine.fuse.mount.FuseMount;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * The running engine as the CLI sees it: a read pipeline over the given transport, a background catalog over the
 * given metadata client, the FUSE filesystem, and its mount. fuse-adapter does not know the HTTP implementations:
 * the caller builds them (from the same {@link EngineConfig}) and hands them over; the engine owns them from then
 * on and closes them.
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
    private final TorrentCatalog catalog;
    private final TorrentFileSystem fileSystem;
    private final FuseMount mount;
    private boolean closed;

    private MountedEngine(
        final EngineConfig config,
        final RqbitMetadata metadata,
        final ReadPipeline pipeline,
        final TorrentCatalog catalog,
        final TorrentFileSystem fileSystem,
        final FuseMount mount)
    {
        this.config = config;
        this.metadata = metadata;
        this.pipeline = pipeline;
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
     * Builds the pipeline, lists the torrents (waiting at most twice the metadata timeout: if rqbit is down the
     * mount starts empty and fills in when it is back), and mounts.
     *
     * @throws io.fuseengine.fuse.mount.MountException if the mount fails (everything started is closed again).
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
        final ReadPipeline pipeline = new ReadPipeline(
            config.readSlots(), config.ringSize(), config.readTimeout().toNanos(), transport);
        final TorrentCatalog catalog = new TorrentCatalog(
            metadata, config.refreshInterval(), config.metadataTimeout().multipliedBy(2), firstSeen);
        try
        {
            catalog.start();
            final TorrentFileSystem fs = new TorrentFileSystem(
                catalog::tree, pipeline, new OpenFileTable(TorrentFileSystem.DEFAULT_MAX_OPEN_FILES));
            final FuseMount mount = FuseMount.mount(fs, mountPoint, config);
            LOG.info("fuse-engine serving {} torrents from {} at {}", catalog.tree().torrentCount(), config.rqbitUrl(),
                mount.mountPoint());
            return new MountedEngine(config, metadata, pipeline, catalog, fs, mount);
        }
        catch (final RuntimeException | Error ex)
        {
            catalog.close();
            pipeline.close();
            metadata.close();
            throw ex;
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

    public Path mountPoint()
    {
        return mount.mountPoint();
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
     * Unmounts (bounded, 5–10 s at worst), stops the refresher, closes the pipeline (and with it the transport) and
     * the metadata client, in that order.
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
            try
            {
                catalog.close();
            }
            finally
            {
                try
                {
                    pipeline.close();
                }
                finally
                {
                    metadata.close();
                }
            }
        }
        LOG.info("fuse-engine stopped in {} ms", Duration.ofNanos(System.nanoTime() - t0).toMillis());
    }
}
