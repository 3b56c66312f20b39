package io.fuseengine.fuse.faults;

import io.fuseengine.core.config.EngineConfig;
import io.fuseengine.fuse.MountedEngine;
import io.fuseengine.fuse.e2e.SimMount;
import io.fuseengine.sim.RqbitSim;
import io.fuseengine.sim.SimFile;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fault suite's fixture: the e2e {@link SimMount} (rqbit-sim on loopback, a real engine and kernel FUSE mount)
 * with fault-friendly defaults, plus the checks every fault test makes (slots, threads, content).
 */
final class FaultMount implements AutoCloseable
{
    final RqbitSim sim;
    final EngineConfig config;
    final Path mnt;
    private final SimMount mount;

    private FaultMount(final SimMount mount)
    {
        this.mount = mount;
        this.sim = mount.sim;
        this.config = mount.config;
        this.mnt = mount.mnt;
    }

    static RqbitSim startSim()
    {
        return SimMount.startSim();
    }

    /**
     * @param sim    a started (or stopped) sim, owned by the fixture from now on.
     * @param tmp    the test's temp dir.
     * @param tweaks adjusts the engine configuration (URL already set).
     */
    static FaultMount start(final RqbitSim sim, final Path tmp, final Consumer<EngineConfig.Context> tweaks) throws IOException
    {
        return new FaultMount(SimMount.start(sim, tmp, ctx ->
        {
            ctx.metadataTimeout(Duration.ofSeconds(5))
                // small chunks and no read-ahead: a read asks the backend for its own range and little more, so a
                // fault test knows which ranges the engine has fetched (tests that want read-ahead turn it back on)
                .cacheSize(16L * 1024 * 1024)
                .cacheChunkSize(64 * 1024)
                .readAheadMax(0);
            tweaks.accept(ctx);
        }));
    }

    MountedEngine engine()
    {
        return mount.engine();
    }

    int slotsInUse()
    {
        return engine().pipeline().slots().inUse();
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

    static boolean await(final Duration timeout, final BooleanSupplier condition)
    {
        return SimMount.await(timeout, condition);
    }

    static byte[] readAt(final FileChannel ch, final long pos, final int len) throws IOException
    {
        return SimMount.readAt(ch, pos, len);
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
        mount.close();
    }
}
