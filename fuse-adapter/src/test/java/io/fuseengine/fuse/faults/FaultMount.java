package io.fuseengine.fuse.faults;

import io.fuseengine.core.config.EngineConfig;
import io.fuseengine.fuse.MountedEngine;
import io.fuseengine.fuse.catalog.FirstSeenStore;
import io.fuseengine.fuse.mount.FuseMount;
import io.fuseengine.fuse.mount.MountTable;
import io.fuseengine.sim.RqbitSim;
import io.fuseengine.sim.RqbitVersion;
import io.fuseengine.sim.SimConfig;
import io.fuseengine.sim.SimFile;
import io.fuseengine.transport.NettyRangeTransport;
import io.fuseengine.transport.RqbitHttpMetadata;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fault suite's fixture, the same shape as the e2e {@code SimMount} (which is package-private there): an
 * rqbit-sim on loopback and a real engine (RqbitHttpMetadata, NettyRangeTransport, ReadPipeline, catalog, kernel
 * FUSE mount) on {@code <tmp>/mnt}. {@link #close()} always unmounts, also when the engine's own close fails, and
 * stops the sim.
 */
final class FaultMount implements AutoCloseable
{
    final RqbitSim sim;
    final EngineConfig config;
    final Path mnt;
    private MountedEngine engine;

    private FaultMount(final RqbitSim sim, final EngineConfig config, final Path mnt)
    {
        this.sim = sim;
        this.config = config;
        this.mnt = mnt;
    }

    static RqbitSim startSim()
    {
        return RqbitSim.start(SimConfig.builder().version(RqbitVersion.V9).downloadRateBytesPerSecond(0).port(0).build());
    }

    /**
     * @param sim    a started (or stopped) sim, owned by the fixture from now on.
     * @param tmp    the test's temp dir.
     * @param tweaks adjusts the engine configuration (URL already set).
     */
    static FaultMount start(final RqbitSim sim, final Path tmp, final Consumer<EngineConfig.Context> tweaks) throws IOException
    {
        final EngineConfig.Context ctx = EngineConfig.context()
            .rqbitUrl(sim.baseUrl())
            .refreshInterval(Duration.ofHours(1))
            .metadataTimeout(Duration.ofSeconds(5))
            .connectTimeout(Duration.ofSeconds(1))
            .readTimeout(Duration.ofSeconds(10))
            // small chunks and no read-ahead: a read asks the backend for its own range and little more, so a
            // fault test knows which ranges the engine has fetched (tests that want read-ahead turn it back on)
            .cacheSize(16L * 1024 * 1024)
            .cacheChunkSize(64 * 1024)
            .readAheadMax(0);
        tweaks.accept(ctx);
        final EngineConfig config = ctx.conclude();
        final Path mnt = Files.createDirectories(tmp.resolve("mnt"));
        final FaultMount m = new FaultMount(sim, config, mnt);
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

    MountedEngine engine()
    {
        return engine;
    }

    int slotsInUse()
    {
        return engine.pipeline().slots().inUse();
    }

    /** Waits (bounded) until every read slot is free again: no request of a failed read is leaked. */
    void assertNoSlotLeaked()
    {
        assertThat(await(Duration.ofSeconds(5), () -> slotsInUse() == 0))
            .as("read slots back to 0 (in use: %d)", slotsInUse()).isTrue();
    }

    /** Live JVM threads (platform threads, native FUSE threads attached to the JVM included). */
    static int liveThreads()
    {
        return ManagementFactory.getThreadMXBean().getThreadCount();
    }

    /**
     * Waits (bounded) until the live thread count is at most {@code baseline + margin}: whatever a fault started
     * (connections, timers, FUSE workers) winds down again.
     */
    static void assertThreadsBounded(final int baseline, final int margin)
    {
        assertThat(await(Duration.ofSeconds(10), () -> liveThreads() <= baseline + margin))
            .as("live threads %d, baseline %d + margin %d", liveThreads(), baseline, margin).isTrue();
    }

    /** Polls {@code condition} every 10 ms until it holds or {@code timeout} passes. */
    static boolean await(final Duration timeout, final BooleanSupplier condition)
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

    /** Positional read of exactly {@code len} bytes (fewer only at end of file). */
    static byte[] readAt(final FileChannel ch, final long pos, final int len) throws IOException
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

    /** Opens {@code file} afresh (new handle, no failure memo) and checks {@code len} bytes at {@code pos}. */
    static void assertContent(final Path file, final SimFile source, final long pos, final int len) throws IOException
    {
        final int n = (int)Math.min(len, source.length() - pos);
        final byte[] want = new byte[n];
        source.read(pos, want, 0, n);
        final byte[] got;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ))
        {
            got = readAt(ch, pos, n);
        }
        assertThat(got.length).as("bytes read from %s at %d", file, pos).isEqualTo(n);
        if (!Arrays.equals(got, want))
        {
            final int first = Arrays.mismatch(got, want);
            throw new AssertionError("content of " + file + " differs from the generator at file offset "
                + (pos + first) + " (read of " + n + " bytes at " + pos + ")");
        }
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
