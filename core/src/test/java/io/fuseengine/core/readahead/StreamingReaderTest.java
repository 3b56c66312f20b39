package io.fuseengine.core.readahead;

import io.fuseengine.core.cache.CacheFileIdentity;
import io.fuseengine.core.cache.ChunkCache;
import io.fuseengine.core.cache.ChunkCacheConfig;
import io.fuseengine.core.errno.Errno;
import io.fuseengine.core.meta.TorrentDetails;
import io.fuseengine.core.meta.TorrentFile;
import io.fuseengine.core.read.PieceAvailability;
import io.fuseengine.core.read.PieceFixtures;
import io.fuseengine.core.read.ReadSink;
import io.fuseengine.core.read.StreamTarget;
import org.agrona.UnsafeApi;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class StreamingReaderTest
{
    private static final int CHUNK = 128 * 1024;
    private static final int READ = 32 * 1024;
    /** One cache for the class (creating a map takes seconds); every test uses files no other test uses. */
    private static ChunkCache cache;

    @BeforeAll
    static void openCache() throws Exception
    {
        cache = ChunkCache.open(ChunkCacheConfig.builder().chunkSize(CHUNK).budgetBytes(96L << 20).build());
    }

    @AfterAll
    static void closeCache()
    {
        cache.close();
    }

    private static ReadAheadConfig.Builder config(final int fetchers, final int windowChunks)
    {
        return ReadAheadConfig.builder().fetchers(fetchers).readAheadMax((long)windowChunks * CHUNK);
    }

    @Test
    void readsExactBytesAcrossChunkBoundariesAndStopsAtEndOfFile()
    {
        try (Rig rig = new Rig(cache, config(0, 0).build()))
        {
            final StreamTarget target = Rig.newFile(3L * CHUNK + 1000, "t/data.bin");
            final OpenStream s = rig.reader.open(target, false);
            final UnsafeBuffer dest = Rig.buffer(4 * CHUNK);

            rig.readChecked(s, CHUNK - 1000, 4000, dest);
            rig.readChecked(s, 0, 2 * CHUNK + 17, dest);
            rig.readChecked(s, 3L * CHUNK - 5, 4096, dest);
            assertThat(rig.readChecked(s, target.length() - 100, READ, dest)).isEqualTo(100);

            final int requests = rig.transport.requests().size();
            assertThat(rig.reader.read(s, target.length(), READ, dest.addressOffset())).isZero();
            assertThat(rig.reader.read(s, target.length() + 5 * CHUNK, READ, dest.addressOffset())).isZero();
            assertThat(rig.reader.read(s, 10, 0, dest.addressOffset())).isZero();
            assertThat(rig.transport.requests()).as("no backend request at or past EOF").hasSize(requests);
            assertThat(rig.reader.read(s, -1, READ, dest.addressOffset())).isEqualTo(-Errno.EINVAL);
            rig.reader.close(s);
        }
    }

    @Test
    void spanningReadServedByCachedChunksIsByteExact()
    {
        try (Rig rig = new Rig(cache, config(0, 0).build()))
        {
            final StreamTarget target = Rig.newFile(2L * CHUNK + 333, "t/movie.mkv");
            // a media-probe stream fetches whole head and tail chunks; the last chunk here is the short one
            final OpenStream s = rig.reader.open(target, true);
            final UnsafeBuffer dest = Rig.buffer(3 * CHUNK);
            rig.readChecked(s, 0, READ, dest);
            rig.readChecked(s, target.length() - READ, READ, dest);
            rig.awaitReadAheadIdle(); // a reader returns once its part arrived; the fetcher finishes the chunk after
            assertThat(rig.reader.chunkFetches()).isEqualTo(3);   // chunk 0; tail: last 64 KiB covers chunks 1 and 2

            final int requests = rig.transport.requests().size();
            rig.readChecked(s, CHUNK - 7, 2 * CHUNK, dest);
            assertThat(rig.transport.requests()).as("served from three cached chunks").hasSize(requests);
            assertThat(rig.reader.hits()).isEqualTo(1);
        }
    }

    @Test
    void sinkIsHandedAReadInsideOneResidentChunkAndGetsEveryOtherReadCopiedIntoItsDestination()
    {
        try (Rig rig = new Rig(cache, config(0, 0).build()))
        {
            final StreamTarget target = Rig.newFile(2L * CHUNK + 333, "t/handed.mkv");
            final OpenStream s = rig.reader.open(target, true);   // head and tail chunks come in whole
            final RecordingSink sink = new RecordingSink(2 * CHUNK);

            assertThat(rig.reader.read(s, 100, READ, sink.reset())).isEqualTo(READ);
            assertThat(sink.destinations).as("a miss: its bytes come from a fetch").isLessThanOrEqualTo(1);
            Rig.assertBytes(target, sink.bytes, 100, READ);
            rig.readChecked(s, target.length() - READ, READ, Rig.buffer(READ)); // the tail: chunks 1 and 2 come in
            rig.awaitReadAheadIdle();

            assertThat(rig.reader.read(s, 1000, READ, sink.reset())).isEqualTo(READ);
            assertThat(sink.taken).as("a hit inside chunk 0 is handed over").isEqualTo(1);
            assertThat(sink.takenLength).isEqualTo(READ);
            assertThat(sink.destinations).isZero();
            Rig.assertBytes(target, sink.bytes, 1000, READ);

            final int requests = rig.transport.requests().size();
            assertThat(rig.reader.read(s, CHUNK - 1000, READ, sink.reset())).isEqualTo(READ);
            assertThat(sink.taken).as("a read across chunks 0 and 1 (both resident) is copied").isZero();
            assertThat(sink.destinations).isPositive();
            Rig.assertBytes(target, sink.bytes, CHUNK - 1000, READ);
            assertThat(rig.transport.requests()).as("served from the cache").hasSize(requests);

            assertThat(rig.reader.read(s, target.length() - 10, READ, sink.reset())).as("short at end of file").isEqualTo(10);
            assertThat(rig.transport.requests()).hasSize(requests);
            assertThat(sink.taken).isEqualTo(1);
            assertThat(sink.takenLength).isEqualTo(10);
            Rig.assertBytes(target, sink.bytes, target.length() - 10, 10);

            assertThat(rig.reader.read(s, target.length(), READ, sink.reset())).isZero();
            assertThat(sink.taken + sink.destinations).as("nothing to hand over at end of file").isZero();
            rig.reader.close(s);
        }
    }

    @Test
    void sequentialReaderGetsCacheHitsFromAWindowThatGrowsToTheMaximum()
    {
        final int chunks = 16;
        try (Rig rig = new Rig(cache, config(2, 4).build()))
        {
            final StreamTarget target = Rig.newFile((long)chunks * CHUNK, "t/big.iso");
            final OpenStream s = rig.reader.open(target, false);
            final UnsafeBuffer dest = Rig.buffer(READ);
            final int readsPerChunk = CHUNK / READ;
            final List<Integer> windowPerChunk = new ArrayList<>();
            for (long off = 0; off < target.length(); off += READ)
            {
                rig.readChecked(s, off, READ, dest);
                rig.awaitReadAheadIdle();
                if ((off + READ) % CHUNK == 0)
                {
                    windowPerChunk.add(s.windowChunks());
                }
            }
            final int reads = chunks * readsPerChunk;

            assertThat(windowPerChunk.subList(0, 5)).as("window after each chunk").containsExactly(1, 2, 4, 4, 4);
            assertThat(rig.reader.directReads()).as("the read at offset 0 fetches its whole chunk").isZero();
            assertThat(rig.reader.chunkFetches()).as("chunk 0, by the first read").isEqualTo(1);
            assertThat(rig.reader.hits()).as("every later read is a cache hit").isEqualTo(reads - 1);
            assertThat(rig.reader.readAheadChunks()).isEqualTo(chunks - 1);
            for (int c = 0; c < chunks; c++)
            {
                assertThat(rig.transport.count(target, (long)c * CHUNK, CHUNK)).as("requests of chunk %d", c).isEqualTo(1);
            }
            assertThat(rig.transport.bytesOf(target)).as("no byte fetched twice").isEqualTo(target.length());
            assertThat(rig.reader.readAheadWasted()).isZero();
        }
    }

    /**
     * A player's seek: the reads before the run counts as sequential are direct reads of their own range, and the
     * chunks they touched must not then be fetched whole (which would fetch those bytes again); read-ahead takes over
     * after them. Once with the seek landing mid-chunk (its direct reads cross into the next chunk) and once on a chunk
     * boundary.
     */
    @ParameterizedTest(name = "seek to {0} B")
    @ValueSource(longs = {5L * CHUNK + 3 * READ, 5L * CHUNK})
    void sequentialRunAfterASeekFetchesNoByteTwice(final long start)
    {
        final int chunks = 12;
        try (Rig rig = new Rig(cache, config(2, 4).build()))
        {
            final StreamTarget target = Rig.newFile((long)chunks * CHUNK, "t/seek-run-" + start + ".bin");
            final OpenStream s = rig.reader.open(target, false);
            final UnsafeBuffer dest = Rig.buffer(READ);
            for (long off = start; off < target.length(); off += READ)
            {
                rig.readChecked(s, off, READ, dest);
                rig.awaitReadAheadIdle();
            }
            final long lastDirectChunk = (start + 2L * READ - 1) / CHUNK; // sequentialReads = 3: two reads before
            assertThat(rig.transport.bytesOf(target)).as("no byte fetched twice").isEqualTo(target.length() - start);
            assertThat(rig.reader.directReads()).as("every read in the chunks the first two touched")
                .isEqualTo(((lastDirectChunk + 1) * CHUNK - start) / READ);
            for (long c = lastDirectChunk + 1; c < chunks; c++)
            {
                assertThat(rig.transport.count(target, c * CHUNK, CHUNK)).as("requests of chunk %d", c).isEqualTo(1);
            }
            assertThat(rig.reader.readAheadWasted()).isZero();
        }
    }

    @Test
    void readLaggingBehindTheFurthestEndAsTheKernelsReadAheadWindowsDoIsNotASeekButAFarJumpBackIs()
    {
        final long slack = ReadAheadConfig.DEFAULT_SEQUENTIAL_SLACK;
        final long lagLimit = slack * OpenStream.LAGGING_SLACK_FACTOR;
        try (Rig rig = new Rig(cache, config(2, 4).build()))
        {
            final StreamTarget target = Rig.newFile(lagLimit + 4 * slack, "t/lagging.mkv.bin");
            final OpenStream s = rig.reader.open(target, false);
            final UnsafeBuffer dest = Rig.buffer(READ);
            final long furthestEnd = lagLimit + 2 * slack;
            for (long off = 0; off < furthestEnd; off += READ)
            {
                rig.readChecked(s, off, READ, dest);
            }
            rig.awaitReadAheadIdle();
            final int window = s.windowChunks();
            assertThat(window).as("window open after a sequential run").isPositive();

            rig.readChecked(s, furthestEnd - 3 * slack, READ, dest); // behind by more than the forward slack

            assertThat(s.windowChunks()).as("a lagging read keeps the window").isEqualTo(window);
            assertThat(rig.reader.cancellations()).as("no read-ahead cancelled").isZero();

            rig.readChecked(s, furthestEnd - lagLimit - READ, READ, dest); // behind by more than the lagging slack

            assertThat(s.windowChunks()).as("a far jump back is a seek").isZero();
        }
    }

    @Test
    void readsArrivingAheadOfLateOnesAsOnABusyMachineAreNotASeekButAFarJumpAheadIs()
    {
        final long slack = ReadAheadConfig.DEFAULT_SEQUENTIAL_SLACK;
        final long aheadLimit = slack * OpenStream.AHEAD_SLACK_FACTOR;
        try (Rig rig = new Rig(cache, config(2, 4).build()))
        {
            final StreamTarget target = Rig.newFile(4 * aheadLimit, "t/ahead.mkv.bin");
            final OpenStream s = rig.reader.open(target, false);
            final UnsafeBuffer dest = Rig.buffer(READ);
            long furthestEnd = 2 * slack;
            for (long off = 0; off < furthestEnd; off += READ)
            {
                rig.readChecked(s, off, READ, dest);
            }
            rig.awaitReadAheadIdle();
            final int window = s.windowChunks();
            assertThat(window).as("window open after a sequential run").isPositive();

            // the kernel's next reads, [furthestEnd, furthestEnd + 3 slack) still on descheduled FUSE threads, arrive
            // after the one behind them: more than the old 1 MiB slack ahead, within the forward slack
            rig.readChecked(s, furthestEnd + 3 * slack, READ, dest);
            furthestEnd += 3 * slack + READ;

            assertThat(s.windowChunks()).as("a read ahead of late ones keeps the window").isGreaterThanOrEqualTo(window);
            assertThat(rig.reader.cancellations()).as("no read-ahead cancelled").isZero();

            rig.readChecked(s, furthestEnd + aheadLimit + READ, READ, dest); // ahead by more than the forward slack

            assertThat(s.windowChunks()).as("a far jump ahead is a seek").isZero();
        }
    }

    @Test
    void wholeChunkReadThatNoFetcherStartsInTimeIsReadDirectlyAndItsQueuedFetchWithdrawn() throws Exception
    {
        // one fetcher, no foreground ones: while chunk 2's fetch is held at the backend, chunk 3 stays queued
        try (Rig rig = new Rig(cache, config(1, 8).foregroundBuffers(0).build()))
        {
            final StreamTarget target = Rig.newFile(16L * CHUNK, "t/withdrawn.bin");
            final CountingTransport.Gate gate = new CountingTransport.Gate(r -> r.offset() == 2L * CHUNK);
            rig.transport.gate = gate;
            final OpenStream s = rig.reader.open(target, false);
            final UnsafeBuffer dest = Rig.buffer(CHUNK);
            for (long off = 0; off <= CHUNK; off += READ)
            {
                rig.readChecked(s, off, READ, dest);   // the read entering chunk 1 queues chunks 2 and 3
            }
            gate.awaitArrivals(1);

            rig.readChecked(s, 3L * CHUNK, CHUNK, dest);   // all of chunk 3, still queued: waits, then reads directly

            gate.release.countDown();
            rig.awaitReadAheadIdle();
            assertThat(rig.transport.count(target, 3L * CHUNK, CHUNK)).as("chunk 3 asked for once").isEqualTo(1);
            assertThat(rig.reader.withdrawnForDirectRead()).isEqualTo(1);
        }
    }

    @Test
    void seekCancelsQueuedAndInFlightReadAheadAndResetsTheWindow() throws Exception
    {
        try (Rig rig = new Rig(cache, config(1, 8).build()))
        {
            final StreamTarget target = Rig.newFile(64L * CHUNK, "t/seek.bin");
            final CountingTransport.Gate gate = new CountingTransport.Gate(
                r -> r.length() == CHUNK && r.offset() >= 2L * CHUNK);
            rig.transport.gate = gate;
            final OpenStream s = rig.reader.open(target, false);
            final UnsafeBuffer dest = Rig.buffer(READ);
            for (long off = 0; off <= CHUNK; off += READ)
            {
                rig.readChecked(s, off, READ, dest);   // the read entering chunk 1 queues chunks 2 and 3
            }
            gate.awaitArrivals(1);                      // chunk 2 is at the backend, chunk 3 queued behind it
            assertThat(s.windowChunks()).isEqualTo(2);

            rig.readChecked(s, 50L * CHUNK + 5, READ, dest);   // ahead by more than the forward slack (4 MiB)

            assertThat(s.windowChunks()).as("window closed by the seek").isZero();
            assertThat(rig.reader.cancellations()).isEqualTo(2);
            assertThat(rig.reader.readAheadWasted()).isEqualTo(2);
            // The fetcher may have published chunk 2's request before recording its ticket; then the seek only marks
            // the fetch and the fetcher cancels it right after. Wait for that before the backend answers (seen once).
            rig.awaitFailedFetches(1);
            gate.release.countDown();
            gate.awaitFinished(1);
            assertThat(rig.transport.refusedWrites.get()).as("the backend's late bytes were refused").isEqualTo(1);
            assertThat(rig.transport.count(target, 3L * CHUNK, CHUNK)).as("queued chunk never requested").isZero();
            rig.awaitReadAheadIdle();
            final CacheFileIdentity file = s.file();
            assertThat(cache.isResident(file, 2)).isFalse();
            assertThat(cache.isResident(file, 3)).isFalse();

            // reading on from the new position is a new run: direct reads until it is sequential again
            final long before = rig.reader.directReads();
            rig.readChecked(s, 20L * CHUNK + 5 + READ, READ, dest);
            assertThat(rig.reader.directReads()).isEqualTo(before + 1);
            assertThat(s.windowChunks()).isZero();
        }
    }

    @Test
    void twoStreamsOfOneFileShareChunksInsteadOfFetchingTwice() throws Exception
    {
        final int chunks = 24;
        try (Rig rig = new Rig(cache, config(2, 4).build()))
        {
            final StreamTarget target = Rig.newFile((long)chunks * CHUNK, "t/shared.bin");
            final CountDownLatch start = new CountDownLatch(1);
            final ExecutorService pool = Executors.newFixedThreadPool(2);
            try
            {
                final List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < 2; t++)
                {
                    done.add(pool.submit(() ->
                    {
                        final OpenStream s = rig.reader.open(target, false);
                        final UnsafeBuffer dest = Rig.buffer(READ);
                        start.await();
                        for (long off = 0; off < target.length(); off += READ)
                        {
                            rig.readChecked(s, off, READ, dest);
                        }
                        rig.reader.close(s);
                        return null;
                    }));
                }
                start.countDown();
                for (final Future<?> f : done)
                {
                    f.get(60, TimeUnit.SECONDS);
                }
            }
            finally
            {
                pool.shutdownNow();
            }
            for (int c = 0; c < chunks; c++)
            {
                assertThat(rig.transport.count(target, (long)c * CHUNK, CHUNK)).as("requests of chunk %d", c).isLessThanOrEqualTo(1);
            }
            assertThat(rig.transport.bytesOf(target)).as("the file once, plus each stream's first direct reads")
                .isLessThanOrEqualTo(target.length() + 2L * 2 * READ);
        }
    }

    @Test
    void concurrentReadersOfAChunkInFlightAllGetItsBytesFromOneRequest() throws Exception
    {
        final int readers = 8;
        try (Rig rig = new Rig(cache, config(2, 4).build()))
        {
            final StreamTarget target = Rig.newFile(4L * CHUNK, "t/film.mp4");
            final CountingTransport.Gate gate = new CountingTransport.Gate(r -> r.offset() == 0);
            rig.transport.gate = gate;
            final OpenStream probe = rig.reader.open(target, true);   // queues head and tail chunks
            gate.awaitArrivals(1);                                     // the head chunk is at the backend

            final ExecutorService pool = Executors.newFixedThreadPool(readers);
            try
            {
                final List<Future<Integer>> results = new ArrayList<>();
                for (int i = 0; i < readers; i++)
                {
                    final long offset = i * (CHUNK / readers);
                    final boolean ownStream = i % 2 == 0;
                    results.add(pool.submit(() ->
                    {
                        final OpenStream s = ownStream ? rig.reader.open(target, false) : probe;
                        return rig.readChecked(s, offset, CHUNK / readers, Rig.buffer(CHUNK / readers));
                    }));
                }
                rig.awaitInFlightWaits(readers);
                gate.release.countDown();
                for (final Future<Integer> r : results)
                {
                    assertThat(r.get(30, TimeUnit.SECONDS)).isEqualTo(CHUNK / readers);
                }
            }
            finally
            {
                pool.shutdownNow();
            }
            assertThat(rig.transport.count(target, 0, CHUNK)).isEqualTo(1);
            assertThat(rig.transport.requests().stream().filter(r -> r.offset() < CHUNK)).as("requests touching chunk 0").hasSize(1);
            assertThat(rig.reader.directReads()).isZero();
        }
    }

    @Test
    void readerOfAChunkInFlightGetsItsPartAsSoonAsItArrivesNotWhenTheWholeChunkDoes() throws Exception
    {
        try (Rig rig = new Rig(cache, config(2, 4).build()))
        {
            final StreamTarget target = Rig.newFile(4L * CHUNK, "t/first-byte.mkv");
            final CountingTransport.Gate gate = new CountingTransport.Gate(r -> r.offset() == 0 && r.length() == CHUNK);
            gate.deliverFirst = 2 * READ;                              // the first 64 KiB arrive, the rest is held
            rig.transport.gate = gate;
            final OpenStream s = rig.reader.open(target, true);      // probe prefetch queues the head chunk
            gate.awaitArrivals(1);

            final UnsafeBuffer dest = Rig.buffer(READ);
            assertThat(rig.readChecked(s, READ, READ, dest)).as("bytes 32..64 KiB, delivered already").isEqualTo(READ);
            assertThat(gate.finished.availablePermits()).as("the head chunk is still held").isZero();
            assertThat(rig.reader.progressiveReads()).isEqualTo(1);
            assertThat(rig.transport.requests().stream().filter(r -> r.offset() < CHUNK)).as("requests touching chunk 0").hasSize(1);

            gate.release.countDown();
            gate.awaitFinished(1);
            rig.awaitReadAheadIdle();
            assertThat(rig.readChecked(s, CHUNK - READ, READ, dest)).isEqualTo(READ);
            assertThat(cache.isResident(s.file(), 0)).isTrue();
            assertThat(rig.reader.directReads()).isZero();
        }
    }

    @Test
    void sinkIsHandedItsPartOfAChunkInFlightStraightFromTheFetchWhileTheRestIsStillHeld() throws Exception
    {
        try (Rig rig = new Rig(cache, config(2, 4).build()))
        {
            final StreamTarget target = Rig.newFile(4L * CHUNK, "t/handed-in-flight.mkv");
            final CountingTransport.Gate gate = new CountingTransport.Gate(r -> r.offset() == 0 && r.length() == CHUNK);
            gate.deliverFirst = 2 * READ;
            rig.transport.gate = gate;
            final OpenStream s = rig.reader.open(target, true);
            gate.awaitArrivals(1);
            final RecordingSink sink = new RecordingSink(READ);

            assertThat(rig.reader.read(s, READ, READ, sink.reset())).isEqualTo(READ);
            assertThat(sink.taken).isEqualTo(1);
            assertThat(sink.destinations).isZero();
            Rig.assertBytes(target, sink.bytes, READ, READ);
            assertThat(rig.reader.progressiveReads()).isEqualTo(1);
            assertThat(gate.finished.availablePermits()).as("the head chunk is still held").isZero();

            gate.release.countDown();
            gate.awaitFinished(1);
            rig.awaitReadAheadIdle();
            assertThat(rig.reader.directReads()).isZero();
        }
    }

    @Test
    void readerOfAPartNotYetDeliveredWaitsForItAndAnswersEtimedoutAtItsDeadline() throws Exception
    {
        try (Rig rig = new Rig(cache, config(2, 4).build(), TimeUnit.MILLISECONDS.toNanos(300)))
        {
            final StreamTarget target = Rig.newFile(4L * CHUNK, "t/stalled-head.mkv");
            final CountingTransport.Gate gate = new CountingTransport.Gate(r -> true); // a direct read stalls too
            gate.deliverFirst = READ;
            rig.transport.gate = gate;
            final OpenStream s = rig.reader.open(target, true);
            gate.awaitArrivals(1);
            try
            {
                final UnsafeBuffer dest = Rig.buffer(READ);
                assertThat(rig.reader.read(s, 2L * READ, READ, dest.addressOffset())).isEqualTo(-Errno.ETIMEDOUT);
                assertThat(rig.reader.progressiveReads()).isZero();
            }
            finally
            {
                gate.release.countDown();
            }
        }
    }

    @Test
    void progressiveReadersNeverSeeBytesOfAnotherChunkWrittenIntoTheMemoryTheyCopyFrom() throws Exception
    {
        // A cache of three chunks: every fetch reserves the entry (memory) of a chunk committed moments ago, evicted
        // while many readers may still be copying out of it progressively.
        try (ChunkCache small = ChunkCache.open(ChunkCacheConfig.builder().chunkSize(CHUNK).budgetBytes(3L * CHUNK).build()))
        {
            readersJoinFetchesOfAChurningFile(small, 2, "t/churn-small.mkv");
            assertThat(small.evictions()).as("entries were reused").isGreaterThan(48);
        }
        // The shared cache (room for everything), one fetcher.
        readersJoinFetchesOfAChurningFile(cache, 1, "t/churn.mkv");
    }

    private static void readersJoinFetchesOfAChurningFile(final ChunkCache cache, final int fetchers, final String name)
        throws Exception
    {
        final int chunks = 96;
        final int readers = 6;
        try (Rig rig = new Rig(cache, config(fetchers, 2).build()))
        {
            final StreamTarget target = Rig.newFile((long)chunks * CHUNK, name);
            final ExecutorService pool = Executors.newFixedThreadPool(readers);
            try
            {
                final List<Future<Long>> results = new ArrayList<>();
                for (int i = 0; i < readers; i++)
                {
                    final int reader = i;
                    results.add(pool.submit(() ->
                    {
                        final OpenStream s = rig.reader.open(target, false);
                        final UnsafeBuffer dest = Rig.buffer(READ);
                        long bytes = 0;
                        // sequential from a staggered start: each reader opens a window and joins others' fetches
                        for (long off = (long)reader * READ; off < target.length(); off += READ)
                        {
                            bytes += rig.readChecked(s, off, READ, dest);
                        }
                        rig.reader.close(s);
                        return bytes;
                    }));
                }
                for (final Future<Long> r : results)
                {
                    assertThat(r.get(60, TimeUnit.SECONDS)).isPositive();
                }
            }
            finally
            {
                pool.shutdownNow();
            }
            assertThat(rig.reader.progressiveReads()).as("reads copied out of a fetch in flight").isPositive();
        }
    }

    @Test
    void fetchKeepsItsCacheEntryReservedUntilEveryProgressiveReaderHasCopiedOut() throws Exception
    {
        try (ChunkCache small = ChunkCache.open(ChunkCacheConfig.builder().chunkSize(CHUNK).budgetBytes(2L * CHUNK).build());
             Rig rig = new Rig(small, config(1, 2).build()))
        {
            final StreamTarget target = Rig.newFile(2L * CHUNK, "t/copier.mkv");
            final CountingTransport.Gate gate = new CountingTransport.Gate(r -> r.offset() == 0 && r.length() == CHUNK);
            rig.transport.gate = gate;
            final OpenStream s = rig.reader.open(target, true); // probe: the head chunk is fetched first, and held
            gate.awaitArrivals(1);
            final ChunkFetch f = rig.reader.fetchOf(s.file(), 0);
            assertThat(f).isNotNull();
            synchronized (f)
            {
                f.copiers++; // a progressive reader in the middle of its copy out of the reserved entry
            }
            gate.release.countDown();
            gate.awaitFinished(1);
            // Every byte has arrived, but committing would let the entry be evicted and its memory reused under the
            // copier: it must stay reserved (not resident) for as long as the copier is inside.
            final long watchUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
            while (System.nanoTime() - watchUntil < 0)
            {
                assertThat(small.isResident(s.file(), 0)).as("committed under a copier").isFalse();
                Thread.yield();
            }
            synchronized (f)
            {
                f.copiers--;
                f.notifyAll();
            }
            rig.awaitReadAheadIdle();
            assertThat(small.isResident(s.file(), 0)).isTrue();
            rig.readChecked(s, 0, READ, Rig.buffer(READ));
            rig.reader.close(s);
        }
    }

    @Test
    void fetchFallsBackToAStagingBufferWhenEveryCacheEntryIsReservedAndServesExactBytes() throws Exception
    {
        // Two chunks of budget, both reserved by held probe fetches of one file; probes of a second file find no
        // entry to reserve.
        try (ChunkCache small = ChunkCache.open(ChunkCacheConfig.builder().chunkSize(CHUNK).budgetBytes(2L * CHUNK).build());
             Rig rig = new Rig(small, config(3, 4).build()))
        {
            final StreamTarget held = Rig.newFile(4L * CHUNK, "t/held.mkv");
            final StreamTarget other = Rig.newFile(4L * CHUNK, "t/other.mkv");
            final CountingTransport.Gate gate = new CountingTransport.Gate(r -> r.infoHash().equals(held.infoHash()));
            rig.transport.gate = gate;
            final OpenStream h = rig.reader.open(held, true);          // head and tail chunk: two reservations
            gate.awaitArrivals(2);
            assertThat(small.reservedBytes()).as("both entries reserved").isEqualTo(2L * CHUNK);

            final OpenStream o = rig.reader.open(other, true);
            final long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (rig.reader.stagedFetches() < 2 && System.nanoTime() - giveUp < 0)
            {
                Thread.yield();
            }
            assertThat(rig.reader.stagedFetches()).as("the second file's probes fetched into staging buffers").isEqualTo(2);
            final UnsafeBuffer dest = Rig.buffer(READ);
            for (long off = 0; off < other.length(); off += READ)
            {
                rig.readChecked(o, off, READ, dest);
            }

            // the second file's own read-ahead (its reads were sequential) must be over before the held chunks
            // commit, else it would evict them from this two-chunk cache
            rig.reader.close(o);
            final long idleBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (rig.reader.inFlightChunks() > 2 && System.nanoTime() - idleBy < 0)
            {
                Thread.yield();
            }
            assertThat(rig.reader.inFlightChunks()).as("only the held chunks in flight").isEqualTo(2);
            gate.release.countDown();
            gate.awaitFinished(2);
            rig.awaitReadAheadIdle();
            assertThat(small.isResident(h.file(), 0)).isTrue();
            assertThat(small.isResident(h.file(), 3)).isTrue();
            rig.readChecked(h, 0, READ, dest);
            rig.readChecked(h, 4L * CHUNK - READ, READ, dest);
            assertThat(small.residentBytes()).isLessThanOrEqualTo(2L * CHUNK);
            rig.reader.close(h);
        }
    }

    @Test
    void readAheadStopsAtTheFirstChunkRqbitDoesNotHaveYet()
    {
        final int chunks = 16;
        final long length = (long)chunks * CHUNK;
        final int piece = 32 * 1024;
        final int pieces = (int)(length / piece);
        final StreamTarget target = Rig.newFile(length, "t/downloading.iso");
        final byte[] bits = new byte[pieces / 8];
        for (int p = 0; p < 6 * CHUNK / piece; p++)       // chunks 0-5 downloaded, 6 and later not yet
        {
            bits[p >>> 3] |= (byte)(0x80 >>> (p & 7));
        }
        final PieceAvailability had = PieceFixtures.knowing(new TorrentDetails(target.infoHash(), "t", pieces,
            List.of(new TorrentFile(0, "downloading.iso", List.of("downloading.iso"), length, true, false))), bits, pieces);
        try (Rig rig = new Rig(cache, config(2, 4).build(), TimeUnit.SECONDS.toNanos(10), had))
        {
            final OpenStream s = rig.reader.open(target, false);
            final UnsafeBuffer dest = Rig.buffer(READ);
            for (long off = 0; off < 6L * CHUNK; off += READ)
            {
                rig.readChecked(s, off, READ, dest);
                rig.awaitReadAheadIdle();
            }
            assertThat(s.windowChunks()).as("a window of 4 would reach chunk 9").isEqualTo(4);
            assertThat(rig.transport.count(target, 6L * CHUNK, CHUNK)).as("the first missing chunk").isEqualTo(1);
            for (int c = 7; c < chunks; c++)
            {
                assertThat(rig.transport.count(target, (long)c * CHUNK, CHUNK)).as("chunk %d", c).isZero();
            }
            assertThat(rig.reader.throttledReadAhead()).isPositive();
        }
    }

    @Test
    void mediaScanOfManyFilesFetchesAtMostTheHeadAndTailChunkOfEach()
    {
        final int files = 200;
        try (Rig rig = new Rig(cache, config(3, 8).build()))
        {
            final UnsafeBuffer dest = Rig.buffer(64 * 1024);
            final List<StreamTarget> targets = new ArrayList<>();
            for (int i = 0; i < files; i++)
            {
                final String name = "show/episode-" + i + (i % 10 == 9 ? ".nfo" : ".mkv");
                // far past the 1 MiB sequential slack; the last chunk holds at least the last 64 KiB
                final StreamTarget target = Rig.newFile(24L * CHUNK + 64 * 1024 + (i * 1009L) % (64 * 1024), name);
                targets.add(target);
                final OpenStream s = rig.reader.open(target, StreamingReader.isMediaName(name));
                // a scanner: the header in two reads, then the index at the end
                rig.readChecked(s, 0, 64 * 1024, dest);
                rig.readChecked(s, 64 * 1024, 64 * 1024, dest);
                rig.readChecked(s, target.length() - 64 * 1024, 64 * 1024, dest);
                assertThat(s.windowChunks()).as("no read-ahead window for a scanned file").isZero();
                rig.reader.close(s);
            }
            rig.awaitReadAheadIdle();
            long total = 0;
            for (final StreamTarget target : targets)
            {
                final long bytes = rig.transport.bytesOf(target);
                assertThat(bytes).as("bytes fetched of %s", target.description()).isLessThanOrEqualTo(2L * CHUNK);
                total += bytes;
            }
            assertThat(total).isLessThanOrEqualTo(2L * CHUNK * files);
        }
    }

    @Test
    void failedChunkFetchIsNotCachedItsReaderFallsBackToADirectReadAndTheNextReadRetries()
    {
        try (Rig rig = new Rig(cache, config(0, 0).build()))
        {
            final StreamTarget target = Rig.newFile(4L * CHUNK, "t/clip.webm");
            rig.transport.failIf = r -> r.length() == CHUNK;
            final OpenStream s = rig.reader.open(target, true);
            final UnsafeBuffer dest = Rig.buffer(READ);

            rig.readChecked(s, 100, READ, dest);
            assertThat(rig.reader.failedFetches()).isEqualTo(1);
            assertThat(rig.reader.directReads()).as("its own range, after the chunk fetch failed").isEqualTo(1);
            assertThat(cache.isResident(s.file(), 0)).isFalse();

            rig.transport.failIf = null;
            rig.readChecked(s, 100, READ, dest);
            assertThat(rig.transport.count(target, 0, CHUNK)).as("retried").isEqualTo(2);
            rig.awaitReadAheadIdle();
            assertThat(cache.isResident(s.file(), 0)).isTrue();
        }
    }

    @Test
    void readerWaitingOnAReadAheadThatFailsFallsBackToADirectRead() throws Exception
    {
        try (Rig rig = new Rig(cache, config(1, 4).build()))
        {
            final StreamTarget target = Rig.newFile(4L * CHUNK, "t/song.flac");
            final CountingTransport.Gate gate = new CountingTransport.Gate(r -> r.offset() == 0 && r.length() == CHUNK);
            gate.failWith = Errno.EIO;
            rig.transport.gate = gate;
            final OpenStream s = rig.reader.open(target, true);
            gate.awaitArrivals(1);

            final ExecutorService pool = Executors.newSingleThreadExecutor();
            try
            {
                final Future<Integer> read = pool.submit(() -> rig.readChecked(s, 4096, READ, Rig.buffer(READ)));
                rig.awaitInFlightWaits(1);
                gate.release.countDown();
                assertThat(read.get(30, TimeUnit.SECONDS)).isEqualTo(READ);
            }
            finally
            {
                pool.shutdownNow();
            }
            assertThat(rig.reader.directReads()).isEqualTo(1);
            assertThat(rig.transport.count(target, 4096, READ)).isEqualTo(1);
            assertThat(cache.isResident(s.file(), 0)).as("a failed fetch is never cached").isFalse();
        }
    }

    @Test
    void readerWhoseDeadlinePassesWhileWaitingAnswersEtimedout() throws Exception
    {
        try (Rig rig = new Rig(cache, config(1, 4).build(), TimeUnit.MILLISECONDS.toNanos(300)))
        {
            final StreamTarget target = Rig.newFile(4L * CHUNK, "t/stuck.mkv");
            // holds every request of the file: the chunk fetch and the reader's direct fallback alike
            final CountingTransport.Gate gate = new CountingTransport.Gate(r -> r.infoHash().equals(target.infoHash()));
            rig.transport.gate = gate;
            final OpenStream s = rig.reader.open(target, true);
            gate.awaitArrivals(1);
            final UnsafeBuffer dest = Rig.buffer(READ);
            assertThat(rig.reader.read(s, 0, READ, dest.addressOffset())).isEqualTo(-Errno.ETIMEDOUT);
            rig.awaitFailedFetches(1);      // the fetcher's own deadline passed too (it may notice a few ms later)
            gate.release.countDown();       // the late bytes are refused
            rig.awaitReadAheadIdle();
            assertThat(cache.isResident(s.file(), 0)).as("the fetch timed out too: not cached").isFalse();
        }
    }

    @Test
    void closingAStreamCancelsItsQueuedProbePrefetch() throws Exception
    {
        try (Rig rig = new Rig(cache, config(1, 4).build()))
        {
            final StreamTarget blocker = Rig.newFile(4L * CHUNK, "t/blocker.mkv");
            final CountingTransport.Gate gate = new CountingTransport.Gate(r -> r.infoHash().equals(blocker.infoHash()));
            rig.transport.gate = gate;
            rig.reader.open(blocker, true);
            gate.awaitArrivals(1);                           // the only fetcher is busy

            final StreamTarget target = Rig.newFile(4L * CHUNK, "t/other.mkv");
            final OpenStream s = rig.reader.open(target, true);
            rig.reader.close(s);
            assertThat(rig.reader.cancellations()).isEqualTo(2);
            gate.release.countDown();
            rig.awaitReadAheadIdle();
            assertThat(rig.transport.bytesOf(target)).isZero();
        }
    }

    @Test
    void servesCacheHitsWithoutAllocating()
    {
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        try (Rig rig = new Rig(cache, config(1, 4).build()))
        {
            final StreamTarget target = Rig.newFile(2L * CHUNK, "t/hot.mkv");
            final OpenStream s = rig.reader.open(target, true);
            final UnsafeBuffer dest = Rig.buffer(READ);
            rig.readChecked(s, 0, READ, dest);
            rig.readChecked(s, CHUNK, READ, dest);
            final int ops = 20_000;
            for (int i = 0; i < ops; i++)
            {
                rig.reader.read(s, (i % 8) * (long)READ, READ, dest.addressOffset());    // warm-up
            }
            final long me = Thread.currentThread().getId();
            final long before = threads.getThreadAllocatedBytes(me);
            int bytes = 0;
            for (int i = 0; i < ops; i++)
            {
                bytes += rig.reader.read(s, (i % 8) * (long)READ, READ, dest.addressOffset());
            }
            final long allocated = threads.getThreadAllocatedBytes(me) - before;
            assertThat(bytes).isEqualTo(ops * READ);
            assertThat((double)allocated / ops).as("bytes allocated per hit").isLessThan(16.0);

            final ReadSink handedOver = new ReadSink()
            {
                @Override
                public void take(final long address, final int length)
                {
                    dest.putByte(0, UnsafeApi.getByte(address + length - 1));
                }

                @Override
                public long destination(final int length)
                {
                    throw new AssertionError("a hit inside one chunk is handed over, not copied");
                }
            };
            for (int i = 0; i < ops; i++)
            {
                rig.reader.read(s, (i % 8) * (long)READ, READ, handedOver);    // warm-up
            }
            final long beforeSink = threads.getThreadAllocatedBytes(me);
            int handed = 0;
            for (int i = 0; i < ops; i++)
            {
                handed += rig.reader.read(s, (i % 8) * (long)READ, READ, handedOver);
            }
            final long allocatedSink = threads.getThreadAllocatedBytes(me) - beforeSink;
            assertThat(handed).isEqualTo(ops * READ);
            assertThat((double)allocatedSink / ops).as("bytes allocated per hit handed to a sink").isLessThan(16.0);
        }
    }

    @Test
    void recognisesMediaFilesByExtension()
    {
        assertThat(StreamingReader.isMediaName("Show/S01E01.MKV")).isTrue();
        assertThat(StreamingReader.isMediaName("a.m2ts")).isTrue();
        assertThat(StreamingReader.isMediaName("track.opus")).isTrue();
        assertThat(StreamingReader.isMediaName("movie.nfo")).isFalse();
        assertThat(StreamingReader.isMediaName("mkv")).isFalse();
        assertThat(StreamingReader.isMediaName("dir.mkv/readme")).isFalse();
        assertThat(StreamingReader.isMediaName("x.")).isFalse();
    }
}
