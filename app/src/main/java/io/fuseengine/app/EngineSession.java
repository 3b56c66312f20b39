package io.fuseengine.app;

import io.fuseengine.app.ops.HeapSoftLimit;
import io.fuseengine.app.ops.MetricsEndpoint;
import io.fuseengine.app.ops.NativeHeapTrimmer;
import io.fuseengine.core.config.EngineConfig;
import io.fuseengine.fuse.MountedEngine;
import io.fuseengine.fuse.mount.MountException;
import io.fuseengine.transport.NettyRangeTransport;
import io.fuseengine.transport.RqbitHttpMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Runs a mounted engine in the foreground until Ctrl-C or SIGTERM, then unmounts and returns 0.
 * <p>
 * Threads: {@link #runUntilSignalled} on the main thread; the JVM's signal dispatcher only counts a latch down.
 */
final class EngineSession
{
    private static final Logger LOG = LoggerFactory.getLogger(EngineSession.class);

    private EngineSession()
    {
    }

    static MountedEngine start(final EngineConfig config, final Path mountPoint)
    {
        return start(config, mountPoint, new NettyRangeTransport(config));
    }

    static MountedEngine start(final EngineConfig config, final Path mountPoint, final NettyRangeTransport transport)
    {
        final RqbitHttpMetadata metadata = new RqbitHttpMetadata(config);
        try
        {
            return MountedEngine.start(config, mountPoint, metadata, transport);
        }
        catch (final MountException ex)
        {
            throw new UsageException(ex.getMessage());
        }
    }

    static int runUntilSignalled(final EngineConfig config, final Path mountPoint, final Runnable afterUnmount)
    {
        HeapSoftLimit.apply(config);
        // Handlers go in before the mount: a signal that arrives while mounting still ends in a clean unmount.
        final CountDownLatch stop = new CountDownLatch(1);
        final SignalHandler oldInt = Signal.handle(new Signal("INT"), s -> stop.countDown());
        final SignalHandler oldTerm = Signal.handle(new Signal("TERM"), s -> stop.countDown());
        final MountedEngine engine;
        final NettyRangeTransport transport = new NettyRangeTransport(config);
        try
        {
            engine = start(config, mountPoint, transport);
        }
        catch (final RuntimeException | Error ex)
        {
            Signal.handle(new Signal("INT"), oldInt);
            Signal.handle(new Signal("TERM"), oldTerm);
            throw ex;
        }
        final NativeHeapTrimmer trimmer = NativeHeapTrimmer.start(config, engine.fileSystem()::reads);
        final MetricsEndpoint metrics = MetricsEndpoint.start(config, engine, transport, trimmer);
        System.err.println("fuse-engine: mounted " + engine.mountPoint() + " (rqbit " + config.rqbitUrl()
            + (metrics == null ? "" : "; metrics " + metrics.url()) + "); Ctrl-C to unmount");
        try
        {
            stop.await();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        LOG.info("signal received: unmounting {}", engine.mountPoint());
        if (trimmer != null)
        {
            trimmer.close();
        }
        if (metrics != null)
        {
            metrics.close();
        }
        engine.close();
        if (afterUnmount != null)
        {
            afterUnmount.run();
        }
        LOG.info("unmounted {}", engine.mountPoint());
        return Main.EXIT_OK;
    }
}
