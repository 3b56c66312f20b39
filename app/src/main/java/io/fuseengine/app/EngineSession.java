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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs a mounted engine in the foreground until Ctrl-C or SIGTERM, or until the mount is removed from outside
 * ({@code fusermount -u}, {@code umount}), then unmounts (if still mounted), stops and returns 0.
 * <p>
 * Threads: {@link #runUntilSignalled} on the main thread; the JVM's signal dispatcher and the {@code fe-session-watch}
 * thread (which waits for the FUSE session to end) only count a latch down.
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
        final AtomicBoolean unmountedFromOutside = new AtomicBoolean();
        final Thread sessionWatch = new Thread(() ->
        {
            try
            {
                engine.awaitSessionEnd(Long.MAX_VALUE, TimeUnit.DAYS);
                unmountedFromOutside.set(stop.getCount() > 0);
                stop.countDown();
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }, "fe-session-watch");
        sessionWatch.setDaemon(true);
        sessionWatch.start();
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
        if (unmountedFromOutside.get())
        {
            LOG.info("{} was unmounted from outside (fusermount -u, umount): shutting down", engine.mountPoint());
        }
        else
        {
            LOG.info("signal received: unmounting {}", engine.mountPoint());
        }
        if (trimmer != null)
        {
            trimmer.close();
        }
        if (metrics != null)
        {
            metrics.close();
        }
        engine.close();
        sessionWatch.interrupt();
        if (afterUnmount != null)
        {
            afterUnmount.run();
        }
        LOG.info("unmounted {}", engine.mountPoint());
        return Main.EXIT_OK;
    }
}
