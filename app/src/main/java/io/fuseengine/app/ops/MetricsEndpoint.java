package io.fuseengine.app.ops;

import io.fuseengine.core.config.EngineConfig;
import io.fuseengine.fuse.MountedEngine;
import io.fuseengine.transport.NettyRangeTransport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * The metrics of one mounted engine, served at {@code metrics-addr}: what {@code mount} and {@code demo} run next
 * to the engine. A port that cannot be bound does not stop the mount (the mount is the job; metrics are an aid): it
 * is logged at WARN and {@link #start} returns null.
 * <p>
 * Threads: start and close from the owning thread.
 */
public final class MetricsEndpoint implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(MetricsEndpoint.class);

    private final EngineMetrics metrics;
    /** The engine whose reads feed {@link EngineMetrics#recordRead}; the observer is removed again on close. */
    private volatile MountedEngine engine;
    private final MetricsServer server;

    private MetricsEndpoint(final EngineMetrics metrics, final MetricsServer server)
    {
        this.metrics = metrics;
        this.server = server;
    }

    /**
     * @return the running endpoint, or null if {@code metrics-addr} is off or cannot be bound.
     */
    public static MetricsEndpoint start(final EngineConfig config, final MountedEngine engine,
        final NettyRangeTransport transport, final NativeHeapTrimmer trimmer)
    {
        final InetSocketAddress address = config.metricsAddress();
        if (address == null)
        {
            LOG.info("metrics endpoint off ({}=off)", EngineConfig.METRICS_ADDR);
            return null;
        }
        final EngineMetrics metrics = new EngineMetrics()
            .bindPipeline(engine.pipeline())
            .bindCatalog(engine.catalog())
            .bindProcess(trimmer);
        if (transport != null)
        {
            metrics.bindTransport(transport);
        }
        if (engine.pieceAvailability() != null)
        {
            metrics.bindPieces(engine.pieceAvailability(), engine.pieceRefresher());
        }
        if (engine.cache() != null)
        {
            metrics.bindCache(engine.cache());
        }
        if (engine.reader() != null)
        {
            metrics.bindReadAhead(engine.reader());
        }
        if (engine.fileSystem().sessionLoop() != null)
        {
            metrics.bindSession(engine.fileSystem().sessionLoop());
        }
        try
        {
            final MetricsEndpoint endpoint = new MetricsEndpoint(metrics, MetricsServer.start(address, metrics::scrape));
            endpoint.engine = engine;
            // one LongConsumer for the engine's lifetime: every FUSE read feeds the latency histogram
            engine.readObserver(metrics::recordRead);
            return endpoint;
        }
        catch (final IOException | RuntimeException ex)
        {
            LOG.warn("metrics endpoint not started: cannot listen on {} ({}); set {} to another host:port or off",
                EngineConfig.formatAddress(address), ex.getMessage(), EngineConfig.METRICS_ADDR);
            metrics.close();
            return null;
        }
    }

    public EngineMetrics metrics()
    {
        return metrics;
    }

    /** @return the bound address. */
    public InetSocketAddress address()
    {
        return server.address();
    }

    /** @return {@code http://host:port/metrics}. */
    public String url()
    {
        return "http://" + MetricsServer.formatted(server.address()) + MetricsServer.PATH;
    }

    @Override
    public void close()
    {
        final MountedEngine e = engine;
        if (e != null)
        {
            e.readObserver(null);
        }
        server.close();
        metrics.close();
    }
}
