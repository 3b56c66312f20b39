package io.fuseengine.bench;

import io.fuseengine.core.config.EngineConfig;
import io.fuseengine.core.read.ReadPipeline;
import io.fuseengine.core.read.SlotLayout;
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
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.ThreadParams;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Range requests of cache-chunk sizes through the real read path: a {@link ReadPipeline} over the real
 * {@link NettyRangeTransport} against an {@link RqbitSim} on loopback (rqbit v9 behaviour, every piece present, no
 * rate limit), in the same JVM. One read of {@code readSize} bytes is one HTTP range request, answered into the
 * caller's native buffer; this is the cost of one read-ahead fetch ({@code cache-chunk-size} is 4 MiB by default,
 * 64 KiB-16 MiB allowed) as opposed to {@code LoopbackReadBenchmark}'s FUSE-sized reads.
 * <p>
 * Sizes ({@code readSize}): 128 KiB, 1 MiB, 4 MiB and 16 MiB. 16 MiB is exactly {@link SlotLayout#MAX_READ_LENGTH},
 * the largest read one slot carries ({@code ReadPipeline} refuses longer ones with EINVAL), so it is measured as is.
 * <p>
 * Connections: {@code max-connections} is set to the number of callers. {@code throughput01}/{@code latency01}: one
 * caller over one keep-alive connection (requests strictly one after the other); {@code throughput04}/
 * {@code latency04}: four concurrent callers over at most four connections (the engine's default). Each caller reads
 * its own share of a 256 MiB file sequentially. Throughput is in reads per second over all callers (bytes/s =
 * score × {@code readSize}); latency is SampleTime, µs per read with its percentiles. At the end of a trial the
 * fork prints how many requests were sent and connections opened, so one can see the connections were kept alive.
 * <p>
 * Checks: before timing, reads at an aligned, an unaligned and the last offset are compared byte for byte with the
 * sim's content generator; every timed read must return exactly {@code readSize} and its first and last bytes must
 * be the generator's (so a read that reports success without writing is caught), else the run fails. The sim
 * generates its bytes on the fly and shares the 2 cores with the callers and the transport's event loop, so this is
 * a ceiling of the engine's path against a free daemon on the same machine, not a figure for a real rqbit; its
 * allocations (Netty buffers of the sim's responses) count in {@code -prof gc}'s {@code gc.alloc.rate.norm}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    JvmFlags.MISC, JvmFlags.LANG, JvmFlags.REFLECT, JvmFlags.NIO, JvmFlags.NIO_CH, JvmFlags.REF, JvmFlags.JAVAC_FILE,
    JvmFlags.HEAP_MIN, JvmFlags.HEAP_MAX, JvmFlags.PRE_TOUCH})
@State(Scope.Benchmark)
public class TransportBenchmark
{
    static final long FILE_SIZE = 256L * 1024 * 1024;

    /** 128 KiB (one FUSE read), 1 MiB, 4 MiB (the default cache chunk), 16 MiB (the largest read a slot carries). */
    @Param({"131072", "1048576", "4194304", "16777216"})
    public int readSize;

    RqbitSim sim;
    SimFile file;
    StreamTarget target;
    NettyRangeTransport transport;
    ReadPipeline pipeline;
    int maxConnections;

    @Setup(Level.Trial)
    public void setUp(final BenchmarkParams params)
    {
        if (readSize > SlotLayout.MAX_READ_LENGTH)
        {
            throw new IllegalArgumentException("readSize " + readSize + " > SlotLayout.MAX_READ_LENGTH");
        }
        maxConnections = params.getThreads();
        sim = RqbitSim.start(SimConfig.builder().version(RqbitVersion.V9).downloadRateBytesPerSecond(0).port(0).build());
        final SimTorrent torrent = sim.addTorrent(
            TorrentSpec.builder("bench").pieceLength(262_144).file(FILE_SIZE, "chunks.bin").build());
        file = torrent.files().get(0);
        target = new StreamTarget(torrent.infoHash(), file.index(), file.length(), "bench/" + file.name());
        final EngineConfig config = EngineConfig.context()
            .rqbitUrl(sim.baseUrl())
            .maxConnections(maxConnections)
            .conclude();
        transport = new NettyRangeTransport(config);
        pipeline = new ReadPipeline(config.readSlots(), config.ringSize(), config.readTimeout().toNanos(), transport);
        // Prove the path delivers the daemon's bytes before timing it.
        final ByteBuffer check = BufferUtil.allocateDirectAligned(readSize, 4096);
        final byte[] expected = new byte[readSize];
        final byte[] actual = new byte[readSize];
        for (final long offset : new long[]{0, 12_345, FILE_SIZE - readSize})
        {
            final int n = pipeline.read(target, offset, readSize, BufferUtil.address(check));
            if (n != readSize)
            {
                throw new IllegalStateException("read of " + readSize + " at " + offset + " returned " + n);
            }
            file.read(offset, expected, 0, readSize);
            check.get(0, actual);
            if (!Arrays.equals(expected, actual))
            {
                throw new IllegalStateException("wrong bytes in the read of " + readSize + " at " + offset);
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        System.out.printf("%ntransport: %d requests, %d bytes, %d connections opened (max-connections %d), "
                + "%d errors, %d timeouts; pipeline errors %d%n",
            transport.requestsSent(), transport.bytesReceived(), transport.connectionsOpened(), maxConnections,
            transport.errorsTotal(), transport.timeouts(), pipeline.errors());
        pipeline.close();
        sim.close();
    }

    /** One caller thread: its own destination buffer and its own share of the file, read sequentially. */
    @State(Scope.Thread)
    public static class Caller
    {
        ByteBuffer destination;
        long destAddress;
        int length;
        long first;
        long limit;
        long position;

        @Setup(Level.Trial)
        public void setUp(final TransportBenchmark benchmark, final ThreadParams thread)
        {
            length = benchmark.readSize;
            destination = BufferUtil.allocateDirectAligned(length, 4096);
            destAddress = BufferUtil.address(destination);
            final long share = FILE_SIZE / thread.getThreadCount();
            first = thread.getThreadIndex() * share / length * length;
            limit = Math.max(first, first + share - length);
            position = first;
        }

        int readNext(final TransportBenchmark b)
        {
            final long offset = position;
            position = offset + length > limit ? first : offset + length;
            final int n = b.pipeline.read(b.target, offset, length, destAddress);
            if (n != length)
            {
                throw new IllegalStateException("read of " + length + " at " + offset + " returned " + n);
            }
            // First and last byte against the generator: a read that reports success without writing fails.
            final long last = offset + length - 1;
            if (destination.get(0) != b.file.byteAt(offset) || destination.get(length - 1) != b.file.byteAt(last))
            {
                throw new IllegalStateException("wrong bytes in the read of " + length + " at " + offset);
            }
            return n;
        }
    }

    /** One caller, one keep-alive connection: reads per second. */
    @Benchmark
    @Threads(1)
    public int throughput01(final Caller caller)
    {
        return caller.readNext(this);
    }

    /** One caller, one keep-alive connection: µs per read. */
    @Benchmark
    @Threads(1)
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public int latency01(final Caller caller)
    {
        return caller.readNext(this);
    }

    /** Four concurrent callers, at most four connections: reads per second over all of them. */
    @Benchmark
    @Threads(4)
    public int throughput04(final Caller caller)
    {
        return caller.readNext(this);
    }

    /** Four concurrent callers, at most four connections: µs per read. */
    @Benchmark
    @Threads(4)
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public int latency04(final Caller caller)
    {
        return caller.readNext(this);
    }
}
