package io.fuseengine.transport;

import io.fuseengine.core.config.EngineConfig;
import io.fuseengine.core.read.ReadPipeline;
import io.fuseengine.core.read.StreamTarget;
import io.fuseengine.sim.RqbitSim;
import io.fuseengine.sim.SimFile;
import io.fuseengine.sim.SimTorrent;
import org.agrona.BufferUtil;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real {@link ReadPipeline} over a {@link NettyRangeTransport} talking to an {@link RqbitSim} on loopback.
 * Test thread(s) only; {@link #read} may be called from many threads at once.
 */
final class TransportHarness implements AutoCloseable
{
    final RqbitSim sim;
    final NettyRangeTransport transport;
    final ReadPipeline pipeline;

    TransportHarness(final RqbitSim sim, final Consumer<EngineConfig.Context> settings)
    {
        this(sim, settings, false); // what the engine runs
    }

    /** @param directBodyReads whether the transport reads bodies straight into the destination. */
    TransportHarness(final RqbitSim sim, final Consumer<EngineConfig.Context> settings, final boolean directBodyReads)
    {
        this.sim = sim;
        final EngineConfig.Context ctx = EngineConfig.context()
            .rqbitUrl(sim.baseUrl())
            .readTimeout(Duration.ofSeconds(10))
            .connectTimeout(Duration.ofSeconds(2))
            .idleConnectionTimeout(Duration.ofSeconds(2))
            .maxConnections(4);
        settings.accept(ctx);
        final EngineConfig config = ctx.conclude();
        this.transport = new NettyRangeTransport(TransportOptions.from(config), directBodyReads);
        this.pipeline = new ReadPipeline(128, 1024, config.readTimeout().toNanos(), transport);
    }

    static StreamTarget target(final SimTorrent t, final SimFile f)
    {
        return new StreamTarget(t.infoHash(), f.index(), f.length(), t.name() + "/" + f.name());
    }

    /** A read's outcome: the pipeline's result and the bytes it left in the buffer. */
    record Result(int result, byte[] bytes, long nanos)
    {
    }

    Result read(final StreamTarget target, final long offset, final int length)
    {
        final ByteBuffer buffer = ByteBuffer.allocateDirect(Math.max(1, length));
        final long start = System.nanoTime();
        final int n = pipeline.read(target, offset, length, BufferUtil.address(buffer));
        final long nanos = System.nanoTime() - start;
        final byte[] bytes = new byte[Math.max(0, n)];
        buffer.get(0, bytes);
        return new Result(n, bytes, nanos);
    }

    /** Reads and checks the bytes against what the sim serves. */
    static void assertBytes(final SimFile file, final long offset, final Result r)
    {
        final int expectedLength = (int)Math.max(0, Math.min(r.bytes.length, file.length() - offset));
        final byte[] expected = new byte[expectedLength];
        if (expectedLength > 0)
        {
            file.read(offset, expected, 0, expectedLength);
        }
        assertThat(r.bytes).as("bytes of %s at %d", file.name(), offset).isEqualTo(expected);
    }

    /** Polls a condition every 10 ms for at most {@code timeout} (for state only visible from another process side). */
    static boolean eventually(final Duration timeout, final BooleanSupplier condition)
    {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                return false;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(10_000_000L);
        }
        return true;
    }

    @Override
    public void close()
    {
        pipeline.close();
    }
}
