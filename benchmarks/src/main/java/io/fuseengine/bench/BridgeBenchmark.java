package io.fuseengine.bench;

import io.fuseengine.bench.bridge.Bridges;
import io.fuseengine.bench.bridge.ReadBridge;
import io.fuseengine.bench.bridge.SourceBytes;
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
import java.util.concurrent.TimeUnit;

/**
 * The bridge between a FUSE thread and the transport: caller threads each read {@code readSize} bytes into their own
 * native buffer and wait for them, through one of three rivals ({@code design}):
 * <ul>
 *   <li>{@code slotRing}: fuse-engine's ReadPipeline (slots + Disruptor ring + in-place write by the transport);</li>
 *   <li>{@code queueFuture}: the seed's bounded queue to a worker + one-shot CompletableFuture + byte[] payload;</li>
 *   <li>{@code directCall}: the caller copies the bytes itself (no hand-off; the lower bound).</li>
 * </ul>
 * The backend has zero latency (an in-memory copy), so what is measured is the hand-off: publication, wake-up,
 * completion, and any extra copy or allocation. Methods come in pairs per number of caller threads (1, 4, 16, 64:
 * JMH cannot take {@code @Threads} as a parameter): {@code throughputNN} in reads per ms over all callers,
 * {@code latencyNN} in SampleTime, µs per read with p50/p99/p99.9 among its percentiles (one time unit cannot suit
 * both). {@code -prof gc} gives {@code gc.alloc.rate.norm} (bytes allocated per read; read it from the throughput
 * rows, since SampleTime's own sample buffers allocate). A read that returns anything but {@code readSize} bytes
 * fails the run.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    JvmFlags.MISC, JvmFlags.LANG, JvmFlags.REFLECT, JvmFlags.NIO, JvmFlags.NIO_CH, JvmFlags.REF, JvmFlags.JAVAC_FILE,
    JvmFlags.HEAP_MIN, JvmFlags.HEAP_MAX, JvmFlags.PRE_TOUCH})
@State(Scope.Benchmark)
public class BridgeBenchmark
{
    /** Bytes of the in-memory "file": 32 MiB, larger than the last-level cache, so copies do not all hit L1/L2. */
    static final int SOURCE_SIZE = 32 * 1024 * 1024;

    @Param({Bridges.SLOT_RING, Bridges.QUEUE_FUTURE, Bridges.DIRECT_CALL})
    public String design;

    /** 4 KiB (a page) and 128 KiB (the largest read libfuse 2 hands a callback). */
    @Param({"4096", "131072"})
    public int readSize;

    SourceBytes source;
    ReadBridge bridge;

    @Setup(Level.Trial)
    public void setUp()
    {
        source = new SourceBytes(SOURCE_SIZE);
        bridge = Bridges.create(design, source);
        // Prove the rival really delivers the bytes before timing it.
        final ByteBuffer check = BufferUtil.allocateDirectAligned(readSize, 64);
        final long address = BufferUtil.address(check);
        for (final long offset : new long[]{0, 12_345, SOURCE_SIZE - readSize})
        {
            final int n = bridge.read(offset, readSize, address);
            if (n != readSize)
            {
                throw new IllegalStateException(design + " returned " + n + " for a read of " + readSize);
            }
            SourceBytes.verify(offset, readSize, address);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        bridge.close();
    }

    /** One caller thread (a FUSE worker): its own destination buffer and its own position in the file. */
    @State(Scope.Thread)
    public static class Caller
    {
        ByteBuffer destination;
        long destAddress;
        int length;
        long limit;
        long position;

        @Setup(Level.Trial)
        public void setUp(final BridgeBenchmark benchmark, final ThreadParams thread)
        {
            length = benchmark.readSize;
            destination = BufferUtil.allocateDirectAligned(length, 4096);
            destAddress = BufferUtil.address(destination);
            limit = SOURCE_SIZE - length;
            // Callers start spread over the file and read sequentially, like concurrent streams.
            position = ((long)thread.getThreadIndex() * SOURCE_SIZE / thread.getThreadCount()) / length * length;
        }

        int readNext(final ReadBridge bridge)
        {
            final long offset = position;
            position = offset + length > limit ? 0 : offset + length;
            final int n = bridge.read(offset, length, destAddress);
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
        return caller.readNext(bridge);
    }

    @Benchmark
    @Threads(1)
    public int latency01(final Caller caller)
    {
        return caller.readNext(bridge);
    }

    @Benchmark
    @Threads(4)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public int throughput04(final Caller caller)
    {
        return caller.readNext(bridge);
    }

    @Benchmark
    @Threads(4)
    public int latency04(final Caller caller)
    {
        return caller.readNext(bridge);
    }

    @Benchmark
    @Threads(16)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public int throughput16(final Caller caller)
    {
        return caller.readNext(bridge);
    }

    @Benchmark
    @Threads(16)
    public int latency16(final Caller caller)
    {
        return caller.readNext(bridge);
    }

    @Benchmark
    @Threads(64)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public int throughput64(final Caller caller)
    {
        return caller.readNext(bridge);
    }

    @Benchmark
    @Threads(64)
    public int latency64(final Caller caller)
    {
        return caller.readNext(bridge);
    }
}
