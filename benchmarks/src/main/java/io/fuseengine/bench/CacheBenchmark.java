package io.fuseengine.bench;

import io.fuseengine.core.cache.CacheFileIdentity;
import io.fuseengine.core.cache.ChunkBuffer;
import io.fuseengine.core.cache.ChunkCache;
import io.fuseengine.core.cache.ChunkCacheConfig;
import io.fuseengine.core.cache.ChunkReservation;
import io.fuseengine.core.read.ReadSink;
import org.agrona.BufferUtil;
import org.agrona.UnsafeApi;
import org.agrona.concurrent.UnsafeBuffer;
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

import java.io.IOException;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The off-heap read-ahead {@link ChunkCache} (Chronicle Map + CLOCK eviction), in memory, on its own: no transport,
 * no read pipeline. Three things are measured:
 * <ul>
 *   <li><b>hit</b> ({@code hitThroughputNN}, {@code hitLatencyNN}): {@link ChunkCache#read} of {@value #READ_SIZE}
 *   bytes (one libfuse 2 read) from a resident chunk into a pre-allocated native buffer, as a FUSE thread does on a
 *   cache hit. The cache has the engine's defaults (512 MiB budget, 4 MiB chunks, 8 map segments, 64 reader cursors)
 *   and holds one {@value #RESIDENT_FILE_MIB} MiB file (16 chunks, more than the last-level cache, so copies are
 *   not all served from L1/L2). Each thread reads its own share of the file sequentially (1 thread: all of it; 4:
 *   a quarter, i.e. four chunks each), so concurrent readers touch different chunks and show whether the per-read
 *   cursors and the segments' shared read locks scale. Expect {@code gc.alloc.rate.norm} ≈ 0 B/op: a hit must not
 *   allocate. Every read offset of every thread is checked to hit, with the right bytes, before timing; a timed read
 *   that returns anything but {@value #READ_SIZE}, or whose first or last 8 bytes are not the file's, fails the run,
 *   so a miss (or a hit that copies nothing) is never timed by accident.</li>
 *   <li><b>hit handed over</b> ({@code hitHandedOver*}): the same reads through
 *   {@link ChunkCache#read(CacheFileIdentity, long, int, ReadSink)}, the path a mount's FUSE reads take: the chunk is
 *   pinned and its memory handed to a sink (the FUSE reply's {@code writev} in the engine; here the sink reads the
 *   first and last word, which are checked), no copy. The copying hits above are its rival.</li>
 *   <li><b>put under pressure</b> ({@code putEvicting}, {@code putEvictingLatency}): {@link ChunkCache#put} of one
 *   complete chunk ({@code chunkSize}: 4 MiB, the default, and 1 MiB) from native memory into a <em>full</em> cache
 *   (default 512 MiB budget): each put evicts at least one chunk (CLOCK), stages the chunk (copy + CRC-32C) and
 *   inserts it into the map (second copy). Chunk indices only grow, so every put is a real insert of a chunk that
 *   was never resident (a put of a resident chunk is a no-op and would measure nothing). The cache is filled and
 *   cycled once in setup, so the map's off-heap pages are already touched. After every iteration the cache's own
 *   counters must show exactly one insert per timed put and at least one eviction per put, else the run fails.
 *   {@code putEvictingOneCopy}: the same through {@code put(file, chunk, ChunkBuffer, length)}, the path the fetchers
 *   take (the chunk is fetched into a buffer laid out as a cache entry: header written in place, one copy into the
 *   map, CRC outside the writer lock). {@code putEvicting} is kept as the rival that justifies it.</li>
 *   <li><b>first fill</b> ({@code putIntoEmptyCache}, single shot): {@value #FILL_BATCH} puts into a freshly opened,
 *   empty cache with room for twice as many (no eviction: checked after each iteration). This is <em>not</em> the
 *   steady-state cost of an insert without eviction: the public API cannot give a warm cache room again (there is
 *   no remove, and a re-put of a resident chunk is a no-op), so a cache with room is always a fresh map whose
 *   off-heap pages have never been touched, and each first touch is a page fault (plus zeroing). That is what a
 *   freshly started engine pays while its cache fills. How much it costs depends on the machine's history: on the
 *   Firecracker VMs this project runs on, guest memory never touched since boot faults at ~100-150 MB/s, memory the
 *   guest has used before is much cheaper, so this figure varies between runs. Compare it with
 *   {@code putEvicting}.</li>
 * </ul>
 * Puts are single-threaded ({@code put} is serialised by one writer lock: it is meant for the fetcher thread).
 * Bytes per second: ops/s × {@value #READ_SIZE} for hits, ops/s × {@code chunkSize} for puts.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    JvmFlags.MISC, JvmFlags.LANG, JvmFlags.REFLECT, JvmFlags.NIO, JvmFlags.NIO_CH, JvmFlags.REF, JvmFlags.JAVAC_FILE,
    JvmFlags.HEAP_MIN, JvmFlags.HEAP_MAX, JvmFlags.PRE_TOUCH})
public class CacheBenchmark
{
    /** One FUSE read (the largest libfuse 2 hands a callback). */
    static final int READ_SIZE = 131_072;
    static final int LAST_WORD = READ_SIZE - Long.BYTES;
    static final int RESIDENT_FILE_MIB = 64;
    static final long RESIDENT_FILE_SIZE = RESIDENT_FILE_MIB * 1024L * 1024;
    /** Puts per single-shot iteration of {@code putIntoEmptyCache}. */
    static final int FILL_BATCH = 32;

    static final String RESIDENT_HASH = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00";
    static final String PUT_HASH = "feed0000feed0000feed0000feed0000feed0000";
    /** Length of the file puts go to: 1 PiB, so chunk indices do not repeat within a run (2^28 chunks of 4 MiB). */
    static final long PUT_FILE_SIZE = 1L << 50;

    /** The 8 bytes of the resident file at {@code position} (a multiple of 8): a SplitMix64 mix of the position. */
    static long wordAt(final long position)
    {
        long z = position * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    static ChunkCache open(final ChunkCacheConfig config)
    {
        try
        {
            return ChunkCache.open(config);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot open an in-memory chunk cache", ex);
        }
    }

    // ------------------------------------------------------------------------------------------------------ hits

    /** A default-configured cache holding every chunk of one {@value #RESIDENT_FILE_MIB} MiB file. */
    @State(Scope.Benchmark)
    public static class Resident
    {
        ChunkCache cache;
        CacheFileIdentity file;
        /** Where each chunk is generated before it is put (a field: native memory must stay reachable). */
        UnsafeBuffer chunk;

        @Setup(Level.Trial)
        public void setUp()
        {
            cache = open(ChunkCacheConfig.builder().build());
            file = CacheFileIdentity.of(RESIDENT_HASH, 0, RESIDENT_FILE_SIZE);
            final int chunkSize = cache.config().chunkSize();
            chunk = new UnsafeBuffer(BufferUtil.allocateDirectAligned(chunkSize, 4096));
            for (long c = 0; c * chunkSize < RESIDENT_FILE_SIZE; c++)
            {
                final long start = c * chunkSize;
                final int length = (int)cache.expectedChunkLength(file, c);
                for (int i = 0; i < length; i += Long.BYTES)
                {
                    chunk.putLong(i, wordAt(start + i));
                }
                if (!cache.put(file, c, chunk.addressOffset(), length))
                {
                    throw new IllegalStateException("put of chunk " + c + " refused: " + cache.config());
                }
            }
            if (cache.residentBytes() != RESIDENT_FILE_SIZE || cache.evictions() != 0)
            {
                throw new IllegalStateException("resident " + cache.residentBytes() + " B after "
                    + cache.evictions() + " evictions; want the whole file: " + cache.config());
            }
        }

        @TearDown(Level.Trial)
        public void tearDown()
        {
            cache.close();
        }
    }

    /** One reader thread (a FUSE worker): its own destination buffer and its own share of the resident file. */
    @State(Scope.Thread)
    public static class Reader
    {
        UnsafeBuffer destination;
        long destAddress;
        long first;
        long limit;
        long position;
        /** The first and last word the last hand-over saw (checked against the file after every read). */
        long handedFirst;
        long handedLast;

        @Setup(Level.Trial)
        public void setUp(final Resident resident, final ThreadParams thread)
        {
            destination = new UnsafeBuffer(BufferUtil.allocateDirectAligned(READ_SIZE, 4096));
            destAddress = destination.addressOffset();
            final long share = RESIDENT_FILE_SIZE / thread.getThreadCount();
            first = thread.getThreadIndex() * share / READ_SIZE * READ_SIZE;
            limit = first + share - READ_SIZE;
            position = first;
            // Every offset this thread will time must hit, with the file's bytes: a miss is never timed by accident.
            for (long offset = first; offset <= limit; offset += READ_SIZE)
            {
                final int n = resident.cache.read(resident.file, offset, READ_SIZE, destAddress);
                if (n != READ_SIZE)
                {
                    throw new IllegalStateException("read of " + READ_SIZE + " at " + offset + " missed: " + n);
                }
                for (int i = 0; i < READ_SIZE; i += Long.BYTES)
                {
                    if (destination.getLong(i) != wordAt(offset + i))
                    {
                        throw new IllegalStateException("wrong bytes at " + (offset + i));
                    }
                }
            }
        }

        /** This thread's next read offset (its share, round and round). */
        long nextOffset()
        {
            final long offset = position;
            position = offset + READ_SIZE > limit ? first : offset + READ_SIZE;
            return offset;
        }

        int readNext(final Resident resident)
        {
            final long offset = nextOffset();
            final int n = resident.cache.read(resident.file, offset, READ_SIZE, destAddress);
            if (n != READ_SIZE)
            {
                throw new IllegalStateException("read of " + READ_SIZE + " at " + offset + " returned " + n);
            }
            // First and last word against the content: a hit that reports success without copying fails.
            if (destination.getLong(0) != wordAt(offset)
                || destination.getLong(LAST_WORD) != wordAt(offset + LAST_WORD))
            {
                throw new IllegalStateException("wrong bytes in the read of " + READ_SIZE + " at " + offset);
            }
            return n;
        }

        /** The next read of this thread's share, handed to {@link #handOver} instead of copied. */
        int handNext(final Resident resident)
        {
            final long offset = nextOffset();
            handedFirst = 0;
            handedLast = 0;
            final int n = resident.cache.read(resident.file, offset, READ_SIZE, handOver);
            if (n != READ_SIZE || handedFirst != wordAt(offset) || handedLast != wordAt(offset + LAST_WORD))
            {
                throw new IllegalStateException("hand-over of " + READ_SIZE + " at " + offset + " returned " + n
                    + " or wrong bytes");
            }
            return n;
        }

        /**
         * What the FUSE session's reply does with a hit inside one chunk ({@code FuseReadReply}): takes the bytes
         * where the chunk holds them (here it reads the first and last word; the reply's {@code writev} is the
         * kernel's copy, measured through the mount, not here). Never asked for room: the benchmark reads inside
         * one chunk.
         */
        final ReadSink handOver = new ReadSink()
        {
            @Override
            public void take(final long address, final int length)
            {
                handedFirst = UnsafeApi.getLong(address);
                handedLast = UnsafeApi.getLong(address + length - Long.BYTES);
            }

            @Override
            public long destination(final int length)
            {
                throw new IllegalStateException("a read inside one chunk is handed over, not copied");
            }
        };
    }

    /** One thread: hits per ms. */
    @Benchmark
    @Threads(1)
    public int hitThroughput01(final Resident resident, final Reader reader)
    {
        return reader.readNext(resident);
    }

    /** One thread: µs per hit (SampleTime: p50/p99/p99.9). */
    @Benchmark
    @Threads(1)
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public int hitLatency01(final Resident resident, final Reader reader)
    {
        return reader.readNext(resident);
    }

    /** Two threads (one per core here): hits per ms over both. */
    @Benchmark
    @Threads(2)
    public int hitThroughput02(final Resident resident, final Reader reader)
    {
        return reader.readNext(resident);
    }

    /** Four threads, each on its own four chunks: hits per ms over all (oversubscribes a 2-core machine). */
    @Benchmark
    @Threads(4)
    public int hitThroughput04(final Resident resident, final Reader reader)
    {
        return reader.readNext(resident);
    }

    /** Four threads: µs per hit. */
    @Benchmark
    @Threads(4)
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public int hitLatency04(final Resident resident, final Reader reader)
    {
        return reader.readNext(resident);
    }

    /**
     * One thread: hits per ms handed to a {@link ReadSink} where the chunk holds them (pinned through the reader's
     * cursor, no copy): the path a mount's FUSE reads take. {@code hitThroughput01} (copied into a buffer) is its
     * rival: the copy it saves is what the reply's {@code writev} no longer has to follow.
     */
    @Benchmark
    @Threads(1)
    public int hitHandedOverThroughput01(final Resident resident, final Reader reader)
    {
        return reader.handNext(resident);
    }

    /** One thread: µs per hit handed over. */
    @Benchmark
    @Threads(1)
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public int hitHandedOverLatency01(final Resident resident, final Reader reader)
    {
        return reader.handNext(resident);
    }

    /** Four threads: hits handed over per ms over all (pins on different chunks, read locks held only to pin). */
    @Benchmark
    @Threads(4)
    public int hitHandedOverThroughput04(final Resident resident, final Reader reader)
    {
        return reader.handNext(resident);
    }

    // ------------------------------------------------------------------------------------------------------ puts

    /**
     * The chunk a put copies from (random bytes: the cache cannot tell them from a file's, and neither copy nor
     * CRC depends on them) and the bookkeeping that proves every timed put was a real insert.
     */
    abstract static class PutSource
    {
        ChunkCache cache;
        CacheFileIdentity file;
        int length;
        /** Holds the native memory at {@link #srcAddress}: the buffer must stay reachable while it is used. */
        UnsafeBuffer source;
        long srcAddress;
        /** The same bytes laid out as a cache entry, for the one-copy put the fetchers use. */
        ChunkBuffer entry;
        /** A staging buffer the staged fetch writes into first (the rival of a reservation). */
        ChunkBuffer staging;
        final ChunkReservation reservation = new ChunkReservation();
        long chunkCount;
        long nextChunk;
        long puts;
        long putsBefore;
        long insertedBefore;
        long evictionsBefore;
        long rejectedBefore;

        void allocate(final int chunkSize)
        {
            length = chunkSize;
            source = new UnsafeBuffer(BufferUtil.allocateDirectAligned(chunkSize, 4096));
            final SplittableRandom random = new SplittableRandom(chunkSize);
            for (int i = 0; i < chunkSize; i += Long.BYTES)
            {
                source.putLong(i, random.nextLong());
            }
            srcAddress = source.addressOffset();
            entry = new ChunkBuffer(chunkSize);
            new UnsafeBuffer(entry.payloadAddress(), chunkSize).putBytes(0, source, 0, chunkSize);
            staging = new ChunkBuffer(chunkSize);
            file = CacheFileIdentity.of(PUT_HASH, 0, PUT_FILE_SIZE);
            chunkCount = PUT_FILE_SIZE / chunkSize;
        }

        /** One put of a chunk that has never been put before (indices only grow). */
        boolean putNext()
        {
            return putNext(false);
        }

        /**
         * @param oneCopy true: {@code put(file, chunk, ChunkBuffer, length)} (header written in place, one copy into
         *                the map, checksum outside the writer lock: what the fetchers do); false: the rival,
         *                {@code put(file, chunk, address, length)} (copied into the cache's staging buffer first).
         */
        boolean putNext(final boolean oneCopy)
        {
            final long chunk = nextChunk;
            nextChunk = chunk + 1 == chunkCount ? 0 : chunk + 1;
            puts++;
            if (!(oneCopy ? cache.put(file, chunk, entry, length) : cache.put(file, chunk, srcAddress, length)))
            {
                throw new IllegalStateException("put of chunk " + chunk + " refused");
            }
            return true;
        }

        /**
         * One chunk from "the network" (the source buffer, standing in for the transport's receive buffers) into the
         * cache, as a fetcher makes it resident.
         *
         * @param reserved true: what the fetchers do, {@code reserve}, one copy into the reserved entry, {@code commit};
         *                 false: the rival, one copy into a staging buffer, then the one-copy {@code put} (two copies).
         */
        boolean fetchNext(final boolean reserved)
        {
            final long chunk = nextChunk;
            nextChunk = chunk + 1 == chunkCount ? 0 : chunk + 1;
            puts++;
            if (reserved)
            {
                if (cache.reserve(file, chunk, length, reservation) != ChunkCache.RESERVED)
                {
                    throw new IllegalStateException("reservation of chunk " + chunk + " refused");
                }
                UnsafeApi.copyMemory(srcAddress, reservation.payloadAddress(), length);
                return cache.commit(reservation);
            }
            UnsafeApi.copyMemory(srcAddress, staging.payloadAddress(), length);
            if (!cache.put(file, chunk, staging, length))
            {
                throw new IllegalStateException("put of chunk " + chunk + " refused");
            }
            return true;
        }

        void snapshot()
        {
            putsBefore = puts;
            insertedBefore = cache.chunksInserted();
            evictionsBefore = cache.evictions();
            rejectedBefore = cache.rejectedPuts();
        }

        /** @return puts since {@link #snapshot()}, after checking that each was a real insert. */
        long checkInserts()
        {
            final long timed = puts - putsBefore;
            final long inserted = cache.chunksInserted() - insertedBefore;
            if (inserted != timed || cache.rejectedPuts() != rejectedBefore)
            {
                throw new IllegalStateException(timed + " puts but " + inserted + " inserts and "
                    + (cache.rejectedPuts() - rejectedBefore) + " refusals: not every put was a real insert");
            }
            return timed;
        }
    }

    /** A full cache (the default 512 MiB budget) of {@code chunkSize} chunks: every further put evicts. */
    @State(Scope.Benchmark)
    public static class FullCache extends PutSource
    {
        /** The default chunk (4 MiB) and a smaller one (1 MiB). */
        @Param({"4194304", "1048576"})
        public int chunkSize;

        @Setup(Level.Trial)
        public void setUp()
        {
            allocate(chunkSize);
            cache = open(ChunkCacheConfig.builder().chunkSize(chunkSize).build());
            // Fill, then replace every chunk once: the cache is full and the map's off-heap pages are all touched.
            // Once full it stays full (a put evicts only what it needs to fit), so every timed put evicts.
            final long budgetChunks = cache.config().budgetBytes() / chunkSize;
            for (long i = 0; i < 3 * budgetChunks && (i < 2 * budgetChunks || !isFull()); i++)
            {
                putNext();
            }
            if (!isFull())
            {
                throw new IllegalStateException("cache not full: " + cache.residentBytes() + " B resident");
            }
        }

        private boolean isFull()
        {
            return cache.residentBytes() + chunkSize > cache.config().budgetBytes();
        }

        @Setup(Level.Iteration)
        public void beforeIteration()
        {
            snapshot();
        }

        @TearDown(Level.Iteration)
        public void afterIteration()
        {
            final long timed = checkInserts();
            final long evicted = cache.evictions() - evictionsBefore;
            if (evicted < timed)
            {
                throw new IllegalStateException(timed + " puts into a full cache evicted only " + evicted + " chunks");
            }
        }

        @TearDown(Level.Trial)
        public void tearDown()
        {
            cache.close();
        }
    }

    /** Puts per second into a full cache: each put evicts, then inserts one complete chunk. */
    @Benchmark
    @Threads(1)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public boolean putEvicting(final FullCache full)
    {
        return full.putNext();
    }

    /** As {@link #putEvicting} through the one-copy put of a {@link ChunkBuffer} (the fetchers' path). */
    @Benchmark
    @Threads(1)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public boolean putEvictingOneCopy(final FullCache full)
    {
        return full.putNext(true);
    }

    /**
     * Chunks per second from a (simulated) receive buffer into a full cache the way the fetchers do it: reserve an
     * entry (evicting), copy once into it, commit. Compare with {@link #fetchStagedEvicting}.
     */
    @Benchmark
    @Threads(1)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public boolean fetchReservedEvicting(final FullCache full)
    {
        return full.fetchNext(true);
    }

    /**
     * The rival of {@link #fetchReservedEvicting}, what the fetchers did before: copy into a staging buffer, then the
     * one-copy put into the map (two copies per chunk).
     */
    @Benchmark
    @Threads(1)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public boolean fetchStagedEvicting(final FullCache full)
    {
        return full.fetchNext(false);
    }

    /** µs per put into a full cache (SampleTime): how long the writer holds the cache's writer lock. */
    @Benchmark
    @Threads(1)
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public boolean putEvictingLatency(final FullCache full)
    {
        return full.putNext();
    }

    /** A freshly opened, empty cache per iteration, with room for 2 × {@value #FILL_BATCH} chunks. */
    @State(Scope.Benchmark)
    public static class EmptyCache extends PutSource
    {
        /** The default chunk (4 MiB) and a smaller one (1 MiB). */
        @Param({"4194304", "1048576"})
        public int chunkSize;

        @Setup(Level.Trial)
        public void setUp()
        {
            allocate(chunkSize);
        }

        @Setup(Level.Iteration)
        public void beforeIteration()
        {
            final long budget = 2L * FILL_BATCH * chunkSize;
            cache = open(ChunkCacheConfig.builder().chunkSize(chunkSize).budgetBytes(budget).build());
            snapshot();
        }

        @TearDown(Level.Iteration)
        public void afterIteration()
        {
            try
            {
                final long timed = checkInserts();
                if (timed != FILL_BATCH || cache.evictions() != 0)
                {
                    throw new IllegalStateException(timed + " puts (want " + FILL_BATCH + ") with "
                        + cache.evictions() + " evictions (want none) into an empty cache: " + cache.config());
                }
            }
            finally
            {
                cache.close();
                cache = null;
            }
        }
    }

    /**
     * Time for {@value #FILL_BATCH} puts into a freshly opened, empty cache (score per batch; divide by
     * {@value #FILL_BATCH} for one put). First-touch page faults of the map's memory included: see the class comment.
     */
    @Benchmark
    @Threads(1)
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 2, batchSize = FILL_BATCH)
    @Measurement(iterations = 5, batchSize = FILL_BATCH)
    public boolean putIntoEmptyCache(final EmptyCache empty)
    {
        return empty.putNext();
    }
}
