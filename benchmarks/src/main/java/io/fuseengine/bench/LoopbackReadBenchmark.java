package io.fuseengine.bench;

import io.fuseengine.core.config.EngineConfig;
import io.fuseengine.core.read.ReadPipeline;
import io.fuseengine.core.read.StreamTarget;
import io.fuseengine.sim.RqbitSim;
import io.fuseengine.sim.RqbitVersion;
import io.fuseengine.sim.SimConfig;
import io.fuseengine.sim.SimFile;
import io.fuseengine.sim.SimTorrent;
import io.fuseengine.sim.TorrentSpec;
import io.fuseengine.transport.NettyRangeTransport;
import org.agrona.BufferUtil;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.ThreadParams;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * The whole read path over loopback HTTP: a real {@link ReadPipeline} over the real {@link NettyRangeTransport}
 * against an {@link RqbitSim} (every piece present, no rate limit) in the same JVM, so the sim's threads share the
 * cores with the callers. Not a rival comparison: it puts {@code BridgeBenchmark}'s hand-off cost next to what a
 * range request costs, to show which of the two dominates. Same thread counts, sizes and method pairs
 * ({@code throughputNN} in reads/ms, {@code latencyNN} in SampleTime µs) as {@code BridgeBenchmark}; a read that
 * returns anything but {@code readSize} bytes fails the run. The sim's allocations count in {@code -prof gc}.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    JvmFlags.MISC, JvmFlags.LANG, JvmFlags.REFLECT, JvmFlags.NIO, JvmFlags.NIO_CH, JvmFlags.REF, JvmFlags.JAVAC_FILE,
    JvmFlags.HEAP_MIN, JvmFlags.HEAP_MAX, JvmFlags.PRE_TOUCH})
@State(Scope.Benchmark)
public class LoopbackReadBenchmark
{
    static final long FILE_SIZE = 256L * 1024 * 1024;

    /** 4 KiB (a page) and 128 KiB (the largest read libfuse 2 hands a callback). */
    @Param({"4096", "131072"})
    public int readSize;

    /** Keep-alive connections to the daemon (the engine's default is 4). */
    @Param({"4"})
    public int maxConnections;

    RqbitSim sim;
    SimFile file;
    StreamTarget target;
    ReadPipeline pipeline;

    @Setup(Level.Trial)
    public void setUp()
    {
        sim = RqbitSim.start(SimConfig.builder().version(RqbitVersion.V9).downloadRateBytesPerSecond(0).port(0).build());
        final SimTorrent torrent = sim.addTorrent(
            TorrentSpec.builder("bench").pieceLength(262_144).file(FILE_SIZE, "bench.bin").build());
        file = torrent.files().get(0);
        target = new StreamTarget(torrent.infoHash(), file.index(), file.length(), "bench/" + file.name());
        final EngineConfig config = EngineConfig.context()
            .rqbitUrl(sim.baseUrl())
            .maxConnections(maxConnections)
            .conclude();
        pipeline = new ReadPipeline(
            config.readSlots(), config.ringSize(), config.readTimeout().toNanos(), new NettyRangeTransport(config));
        // Prove the path delivers the daemon's bytes before timing it.
        final ByteBuffer check = BufferUtil.allocateDirectAligned(readSize, 64);
        for (final long offset : new long[]{0, 12_345, FILE_SIZE - readSize})
        {
            final int n = pipeline.read(target, offset, readSize, BufferUtil.address(check));
            if (n != readSize)
            {
                throw new IllegalStateException("read of " + readSize + " at " + offset + " returned " + n);
            }
            final byte[] expected = new byte[readSize];
            file.read(offset, expected, 0, readSize);
            final byte[] actual = new byte[readSize];
            check.get(0, actual);
            if (!Arrays.equals(expected, actual))
            {
                throw new IllegalStateException("wrong bytes at " + offset);
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        pipeline.close();
        sim.close();
    }

    /** One caller thread: its own destination buffer and its own position in the file (sequential streams). */
    @State(Scope.Thread)
    public static class Caller
    {
        ByteBuffer destination;
        long destAddress;
        int length;
        long limit;
        long position;

        @Setup(Level.Trial)
        public void setUp(final LoopbackReadBenchmark benchmark, final ThreadParams thread)
        {
            length = benchmark.readSize;
            destination = BufferUtil.allocateDirectAligned(length, 4096);
            destAddress = BufferUtil.address(destination);
            limit = FILE_SIZE - length;
            position = ((long)thread.getThreadIndex() * FILE_SIZE / thread.getThreadCount()) / length * length;
        }

        int readNext(final LoopbackReadBenchmark b)
        {
            final long offset = position;
            position = offset + length > limit ? 0 : offset + length;
            final int n = b.pipeline.read(b.target, offset, length, destAddress);
            if (n != length)
            {
                throw new IllegalStateException("read of " + length + " at " + offset + " returned " + n);
            }
            return n;
        }
    }

    @Benchmark
    @Threads(1)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public int throughput01(final Caller caller)
    {
        return caller.readNext(this);
    }

    @Benchmark
    @Threads(1)
    public int latency01(final Caller caller)
    {
        return caller.readNext(this);
    }

    @Benchmark
    @Threads(4)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public int throughput04(final Caller caller)
    {
        return caller.readNext(this);
    }

    @Benchmark
    @Threads(4)
    public int latency04(final Caller caller)
    {
        return caller.readNext(this);
    }

    @Benchmark
    @Threads(16)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public int throughput16(final Caller caller)
    {
        return caller.readNext(this);
    }

    @Benchmark
    @Threads(16)
    public int latency16(final Caller caller)
    {
        return caller.readNext(this);
    }

    @Benchmark
    @Threads(64)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public int throughput64(final Caller caller)
    {
        return caller.readNext(this);
    }

    @Benchmark
    @Threads(64)
    public int latency64(final Caller caller)
    {
        return caller.readNext(this);
    }
}
