package io.fuseengine.bench;

import io.fuseengine.core.read.ReadSlots;
import io.fuseengine.core.read.StreamTarget;
import org.agrona.BufferUtil;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What a completion slot costs by itself: claim → complete → await on one thread, no ring and no other thread
 * (so the waiter never spins, yields or parks: this is the bookkeeping alone). Run with {@code -prof gc} to see
 * {@code gc.alloc.rate.norm} ≈ 0 B/op. {@code seedOneShot} is the seed's counterpart (a fresh one-shot future,
 * completed and then waited on with a timeout), for scale; it allocates the future on every read.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    JvmFlags.MISC, JvmFlags.LANG, JvmFlags.REFLECT, JvmFlags.NIO, JvmFlags.NIO_CH, JvmFlags.REF, JvmFlags.JAVAC_FILE,
    JvmFlags.HEAP_MIN, JvmFlags.HEAP_MAX, JvmFlags.PRE_TOUCH})
@State(Scope.Benchmark)
public class SlotBenchmark
{
    static final int LENGTH = 131_072;
    static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(30);
    static final byte[] PAYLOAD = new byte[LENGTH];

    ReadSlots slots;
    StreamTarget target;

    @Setup(Level.Trial)
    public void setUp()
    {
        slots = new ReadSlots(256);
        target = new StreamTarget("00112233445566778899aabbccddeeff00112233", 0, 1L << 30, "bench/slot");
    }

    /** A destination address for the slot to name (nothing is written to it). */
    @State(Scope.Thread)
    public static class Destination
    {
        ByteBuffer buffer;
        long address;

        @Setup(Level.Trial)
        public void setUp()
        {
            buffer = BufferUtil.allocateDirectAligned(LENGTH, 4096);
            address = BufferUtil.address(buffer);
        }
    }

    private int roundTrip(final Destination destination)
    {
        final long deadline = System.nanoTime() + TIMEOUT_NS;
        final int slot = slots.tryClaim(target, 0, LENGTH, destination.address, deadline);
        if (slot < 0)
        {
            throw new IllegalStateException("no free slot");
        }
        final long generation = slots.generation(slot);
        if (!slots.complete(slot, generation, LENGTH))
        {
            throw new IllegalStateException("complete refused");
        }
        final int n = slots.await(slot, generation, deadline);
        if (n != LENGTH)
        {
            throw new IllegalStateException("await returned " + n);
        }
        return n;
    }

    /** One thread: the slot's own cost. */
    @Benchmark
    @Threads(1)
    public int slotRoundTrip(final Destination destination)
    {
        return roundTrip(destination);
    }

    /** Two threads (one per core here) claiming from the same pool: adds the shared claim hint and in-use counter. */
    @Benchmark
    @Threads(2)
    public int slotRoundTrip2Threads(final Destination destination)
    {
        return roundTrip(destination);
    }

    /** The seed's one-shot for scale: new future, complete, timed get (no queue, no worker). */
    @Benchmark
    @Threads(1)
    public byte[] seedOneShot() throws ExecutionException, InterruptedException, TimeoutException
    {
        final CompletableFuture<byte[]> response = new CompletableFuture<>();
        response.complete(PAYLOAD);
        return response.get(TIMEOUT_NS, TimeUnit.NANOSECONDS);
    }
}
