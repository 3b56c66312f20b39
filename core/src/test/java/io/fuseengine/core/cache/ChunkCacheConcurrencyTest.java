package io.fuseengine.core.cache;

import io.fuseengine.core.read.ReadSink;
import org.agrona.UnsafeApi;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.fuseengine.core.cache.TestChunks.*;
import static org.assertj.core.api.Assertions.assertThat;

class ChunkCacheConcurrencyTest
{
    private static final int CHUNK = 64 * 1024;
    private static final long BUDGET = 16L * CHUNK;
    private static final int FILES = 8;
    private static final int CHUNKS_PER_FILE = 8;
    private static final int READERS = 4;
    private static final int PUTS = 2000;
    /** Fewer than {@link #PUTS}: each fetch yields the CPU four times to the spinning readers (2 cores in CI). */
    private static final int FETCHES = 500;

    /**
     * One reader: random ranges (up to 2.5 chunks, so many span chunks), every hit compared byte for byte. Readers
     * of odd seeds read through a {@link ReadSink} that holds the chunk's memory across a yield and copies it before
     * and after: a chunk evicted or overwritten while handed over shows as a difference.
     */
    private static long[] readUntilStopped(
        final ChunkCache cache,
        final List<CacheFileIdentity> files,
        final List<byte[]> contents,
        final CountDownLatch start,
        final AtomicBoolean stop,
        final long seed) throws InterruptedException
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final int maxRead = 5 * CHUNK / 2;
        final UnsafeBuffer dest = nativeBuffer(maxRead);
        final UnsafeBuffer again = nativeBuffer(maxRead);
        final byte[] got = new byte[maxRead];
        final long[] changedWhileHeld = new long[1];
        final ReadSink sink = (seed & 1) == 0 ? null : new ReadSink()
        {
            @Override
            public void take(final long address, final int length)
            {
                UnsafeApi.copyMemory(address, dest.addressOffset(), length);
                Thread.yield();
                UnsafeApi.copyMemory(address, again.addressOffset(), length);
                if (!sameBytes(dest, again, length))
                {
                    changedWhileHeld[0]++;
                }
            }

            @Override
            public long destination(final int length)
            {
                return dest.addressOffset();
            }
        };
        long hits = 0;
        long misses = 0;
        start.await();
        while (!stop.get())
        {
            final int f = random.nextInt(FILES);
            final CacheFileIdentity file = files.get(f);
            final int length = 1 + random.nextInt(maxRead);
            final long offset = random.nextLong(file.fileLength() - length + 1);
            dest.setMemory(0, length, (byte)0);
            final int r = sink == null ? cache.read(file, offset, length, dest.addressOffset()) : cache.read(file, offset, length, sink);
            if (r == ChunkCache.MISS)
            {
                misses++;
                continue;
            }
            assertThat(r).as("a hit is never partial").isEqualTo(length);
            dest.getBytes(0, got, 0, length);
            final int mismatch = Arrays.mismatch(got, 0, length, contents.get(f), (int)offset, (int)offset + length);
            assertThat(mismatch).as("file %d offset %d length %d", f, offset, length).isEqualTo(-1);
            hits++;
        }
        assertThat(changedWhileHeld[0]).as("chunks that changed while a sink held them").isZero();
        return new long[] {hits, misses};
    }

    private static boolean sameBytes(final UnsafeBuffer a, final UnsafeBuffer b, final int length)
    {
        for (int i = 0; i < length; i++)
        {
            if (a.getByte(i) != b.getByte(i))
            {
                return false;
            }
        }
        return true;
    }

    /** {@link #FILES} files of ids {@code firstId}.., the last chunk of each short by {@code shortStep} × (index + 1). */
    private static List<CacheFileIdentity> shortTailedFiles(final int firstId, final int shortStep, final List<byte[]> contents)
    {
        final List<CacheFileIdentity> files = new ArrayList<>();
        for (int f = 0; f < FILES; f++)
        {
            final CacheFileIdentity file = TestChunks.file(firstId + f, (long)CHUNKS_PER_FILE * CHUNK - (long)shortStep * (f + 1));
            files.add(file);
            contents.add(content(file));
        }
        return files;
    }

    /** Starts {@link #READERS} readers ({@link #readUntilStopped}) with seeds {@code firstSeed}.., waiting on {@code start}. */
    private static List<Future<long[]>> startReaders(
        final ExecutorService pool,
        final ChunkCache cache,
        final List<CacheFileIdentity> files,
        final List<byte[]> contents,
        final CountDownLatch start,
        final AtomicBoolean stop,
        final long firstSeed)
    {
        final List<Future<long[]>> readers = new ArrayList<>();
        for (int r = 0; r < READERS; r++)
        {
            final long seed = firstSeed + r;
            readers.add(pool.submit(() -> readUntilStopped(cache, files, contents, start, stop, seed)));
        }
        return readers;
    }

    @Test
    void readersSeeOnlyExactBytesWhileAWriterEvictsUnderPressure() throws Exception
    {
        final List<byte[]> contents = new ArrayList<>();
        final List<CacheFileIdentity> files = shortTailedFiles(300, 1000, contents); // the last chunk of every file is short
        final ExecutorService pool = Executors.newFixedThreadPool(READERS + 1);
        try (ChunkCache cache = ChunkCache.open(ChunkCacheConfig.builder().chunkSize(CHUNK).budgetBytes(BUDGET).build()))
        {
            final CountDownLatch start = new CountDownLatch(1);
            final AtomicBoolean stop = new AtomicBoolean();
            final List<Future<long[]>> readers = startReaders(pool, cache, files, contents, start, stop, 0);
            final Future<Long> writer = pool.submit(() ->
            {
                final SplittableRandom random = new SplittableRandom(99);
                final UnsafeBuffer scratch = nativeBuffer(CHUNK);
                long maxResident = 0;
                start.await();
                try
                {
                    for (int i = 0; i < PUTS; i++)
                    {
                        // hot set: half of the puts go to file 0, so hits are frequent
                        final CacheFileIdentity file = files.get(random.nextBoolean() ? 0 : random.nextInt(FILES));
                        assertThat(putChunk(cache, file, random.nextInt(CHUNKS_PER_FILE), scratch)).isTrue();
                        maxResident = Math.max(maxResident, cache.residentBytes());
                    }
                }
                finally
                {
                    stop.set(true);
                }
                return maxResident;
            });
            start.countDown();

            assertThat(writer.get(60, TimeUnit.SECONDS)).isLessThanOrEqualTo(BUDGET);
            long hits = 0;
            for (final Future<long[]> reader : readers)
            {
                hits += reader.get(10, TimeUnit.SECONDS)[0];
            }
            assertThat(cache.evictions()).isPositive();
            assertThat(hits).as("readers hit while evictions happened").isPositive();
            assertThat(cache.hits()).isEqualTo(hits);
            assertThat(cache.mapSize()).isEqualTo(cache.residentChunks());
        }
        finally
        {
            pool.shutdownNow();
        }
    }

    /**
     * Readers race fetches that write reserved entries and publish them ({@link ChunkCache#commit}: a release store of
     * the entry's magic under the segment's update lock, readers not locked out) or drop them ({@link
     * ChunkCache#abort}). Each reserved payload is first filled with poison and then written in slices with yields in
     * between, so a reader that could see a reserved entry, or a committed one without all of its bytes, would read
     * poison and fail the byte-for-byte comparison.
     */
    @Test
    void readersNeverSeeAReservedChunkBeforeItsCommitPublishesEveryByte() throws Exception
    {
        final List<byte[]> contents = new ArrayList<>();
        final List<CacheFileIdentity> files = shortTailedFiles(400, 777, contents);
        final ExecutorService pool = Executors.newFixedThreadPool(READERS + 1);
        try (ChunkCache cache = ChunkCache.open(ChunkCacheConfig.builder().chunkSize(CHUNK).budgetBytes(BUDGET).build()))
        {
            final CountDownLatch start = new CountDownLatch(1);
            final AtomicBoolean stop = new AtomicBoolean();
            final List<Future<long[]>> readers = startReaders(pool, cache, files, contents, start, stop, 1000);
            final Future<int[]> fetcher = pool.submit(() ->
            {
                final SplittableRandom random = new SplittableRandom(7);
                final ChunkReservation reservation = new ChunkReservation();
                int committed = 0;
                int aborted = 0;
                start.await();
                try
                {
                    for (int i = 0; i < FETCHES; i++)
                    {
                        final int f = random.nextBoolean() ? 0 : random.nextInt(FILES);
                        final CacheFileIdentity file = files.get(f);
                        final long chunk = random.nextInt(CHUNKS_PER_FILE);
                        final int length = (int)cache.expectedChunkLength(file, chunk);
                        if (cache.reserve(file, chunk, length, reservation) != ChunkCache.RESERVED)
                        {
                            continue; // already resident (or no room: every entry of the segment pinned)
                        }
                        final UnsafeBuffer payload = new UnsafeBuffer(reservation.payloadAddress(), length);
                        payload.setMemory(0, length, (byte)0x5A);
                        final int slice = Math.max(1, length / 4);
                        for (int at = 0; at < length; at += slice)
                        {
                            final int n = Math.min(slice, length - at);
                            payload.putBytes(at, contents.get(f), (int)(chunk * CHUNK) + at, n);
                            Thread.yield();
                        }
                        if (i % 5 == 4)
                        {
                            cache.abort(reservation);
                            aborted++;
                        }
                        else
                        {
                            assertThat(cache.commit(reservation)).isTrue();
                            committed++;
                        }
                    }
                }
                finally
                {
                    stop.set(true);
                }
                return new int[] {committed, aborted};
            });
            start.countDown();

            final int[] outcome = fetcher.get(60, TimeUnit.SECONDS);
            long hits = 0;
            for (final Future<long[]> reader : readers)
            {
                hits += reader.get(10, TimeUnit.SECONDS)[0];
            }
            assertThat(outcome[0]).as("commits").isPositive();
            assertThat(outcome[1]).as("aborts").isPositive();
            assertThat(cache.evictions()).as("the fetches evicted under pressure").isPositive();
            assertThat(hits).as("readers hit committed chunks while fetches ran").isPositive();
            assertThat(cache.mapSize()).isEqualTo(cache.residentChunks());
        }
        finally
        {
            pool.shutdownNow();
        }
    }
}
