package io.fuseengine.fuse.e2e;

import io.fuseengine.core.config.EngineConfig;
import io.fuseengine.fuse.MountedEngine;
import io.fuseengine.fuse.catalog.FirstSeenStore;
import io.fuseengine.fuse.mount.FuseMount;
import io.fuseengine.fuse.mount.MountTable;
import io.fuseengine.sim.RqbitSim;
import io.fuseengine.sim.RqbitVersion;
import io.fuseengine.sim.SimConfig;
import io.fuseengine.transport.NettyRangeTransport;
import io.fuseengine.transport.RqbitHttpMetadata;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The end-to-end fixture: an rqbit-sim on loopback and a real engine (RqbitHttpMetadata, NettyRangeTransport,
 * ReadPipeline, catalog, kernel FUSE mount) on a directory under the test's temp dir. {@link #close()} always
 * unmounts, also when the engine's own close fails, and stops the sim. The fault suite wraps it ({@code FaultMount}).
 */
public final class SimMount implements AutoCloseable
{
    public final RqbitSim sim;
    public final EngineConfig config;
    public final Path mnt;
    private MountedEngine engine;

    private SimMount(final RqbitSim sim, final EngineConfig config, final Path mnt)
    {
        this.sim = sim;
        this.config = config;
        this.mnt = mnt;
    }

    public static RqbitSim startSim()
    {
        return RqbitSim.start(SimConfig.builder().version(RqbitVersion.V9).downloadRateBytesPerSecond(0).port(0).build());
    }

    /**
     * @param sim    a started sim (owned by the fixture from now on).
     * @param tmp    the test's temp dir (mountpoint and state file go under it).
     * @param tweaks adjusts the engine configuration (URL already set).
     */
    public static SimMount start(final RqbitSim sim, final Path tmp, final Consumer<EngineConfig.Context> tweaks) throws IOException
    {
        final EngineConfig.Context ctx = EngineConfig.context()
            .rqbitUrl(sim.baseUrl())
            .refreshInterval(Duration.ofHours(1))
            .metadataTimeout(Duration.ofSeconds(10))
            .connectTimeout(Duration.ofSeconds(1))
            .readTimeout(Duration.ofSeconds(10));
        tweaks.accept(ctx);
        final EngineConfig config = ctx.conclude();
        final Path mnt = Files.createDirectories(tmp.resolve("mnt"));
        final SimMount m = new SimMount(sim, config, mnt);
        try
        {
            m.engine = MountedEngine.start(config, mnt, new RqbitHttpMetadata(config), new NettyRangeTransport(config),
                FirstSeenStore.open(tmp.resolve("state").resolve("first-seen")));
        }
        catch (final RuntimeException ex)
        {
            m.close();
            throw ex;
        }
        return m;
    }

    public MountedEngine engine()
    {
        return engine;
    }

    public boolean refreshNow()
    {
        return engine.refreshNow();
    }

    /**
     * Polls {@code condition} every 10 ms until it holds or {@code timeout} passes.
     */
    public static boolean await(final Duration timeout, final BooleanSupplier condition)
    {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                return false;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        return true;
    }

    /**
     * Positional read of exactly {@code len} bytes (fewer only at end of file).
     */
    public static byte[] readAt(final FileChannel ch, final long pos, final int len) throws IOException
    {
        final ByteBuffer buf = ByteBuffer.allocate(len);
        long p = pos;
        while (buf.hasRemaining())
        {
            final int n = ch.read(buf, p);
            if (n < 0)
            {
                break;
            }
            p += n;
        }
        final byte[] out = new byte[buf.position()];
        buf.flip();
        buf.get(out);
        return out;
    }

    @Override
    public void close()
    {
        try
        {
            if (engine != null)
            {
                engine.close();
            }
        }
        finally
        {
            try
            {
                if (MountTable.isMountPoint(mnt))
                {
                    FuseMount.lazyUnmount(mnt);
                }
            }
            finally
            {
                sim.close();
            }
        }
    }
}
