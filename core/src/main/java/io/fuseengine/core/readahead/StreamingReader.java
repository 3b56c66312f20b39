package io.fuseengine.core.readahead;

import io.fuseengine.core.cache.CacheFileIdentity;
import io.fuseengine.core.cache.ChunkBuffer;
import io.fuseengine.core.cache.ChunkCache;
import io.fuseengine.core.cache.ChunkReservation;
import io.fuseengine.core.errno.Errno;
import io.fuseengine.core.read.PieceAvailability;
import io.fuseengine.core.read.ReadPipeline;
import io.fuseengine.core.read.ReadSink;
import io.fuseengine.core.read.SlotLayout;
import io.fuseengine.core.read.StreamTarget;
import org.agrona.UnsafeApi;
import org.agrona.concurrent.ManyToManyConcurrentArrayQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The read path with a chunk cache and read-ahead in front of the {@link ReadPipeline}: what FUSE {@code read}
 * calls.
 *
 * <h2>A read</h2>
 * Clamped to end of file (0 at or past it, no backend call). A cache hit is copied straight into the destination
 * (allocation-free). On a miss, if the covering chunk is already being fetched (by read-ahead, a probe prefetch or
 * another reader) the read joins that fetch, with its own deadline: bytes in flight are never asked for twice. It
 * does not wait for the whole chunk: it watches the request's progress and copies its own part out of the fetch's
 * destination (the chunk's reserved cache entry) as soon as the transport has delivered it (a 128 KiB read at the
 * start of a 4 MiB chunk waits for 128 KiB, not 4 MiB: this is what keeps time to first byte low while the head
 * chunk of a media file is prefetched). Otherwise:
 * <ul>
 *   <li><b>random reader</b> (the default): a direct read of just the requested range into the destination (copied
 *   once). It is the lowest latency and fetches the least: 128 KiB instead of a whole chunk the reader may never
 *   come back to;</li>
 *   <li><b>sequential reader</b> (window open), or a read in a <b>media-probe head/tail chunk</b>: one range request
 *   for the whole aligned chunk, put in the cache. The reader will read the rest of that chunk next (or a scanner
 *   its header/index), so this primes the cache. If a fetcher is idle the chunk is queued for it at the front and
 *   the read joins it (progressively, as above); otherwise (no fetcher takes it in time) it falls back to a direct
 *   read of its own range.</li>
 * </ul>
 * A fetch that fails or times out is never cached; its waiters fall back to a direct read within their own
 * deadline (or answer ETIMEDOUT if it is gone).
 *
 * <h2>Read-ahead</h2>
 * Per {@link OpenStream}: see its sequential detector. The window's chunks are queued in the shared
 * {@link InFlightChunks} table and fetched by {@code fe-readahead-N} threads (at most {@code max-connections − 1},
 * so foreground reads always find a connection) through the same pipeline (same deadlines, errno, cancellation),
 * each straight into a cache entry reserved for its chunk (see {@link #runFetch}; a fetcher's own staging buffer,
 * allocated on first use, only when the cache refuses a reservation), so memory does not depend on the number of
 * files. A chunk is made resident only if its fetch delivered every byte. A chunk already resident or in flight
 * is skipped, so several streams of one file share chunks. A seek or close cancels the stream's queued and in-flight
 * read-ahead that no reader waits on: {@code ReadPipeline.cancel(ticket, ECANCELED)} fails the slot, the transport's
 * next write is refused and it closes the connection, which ends rqbit's prioritising of that stream.
 *
 * <h2>Threads</h2>
 * {@link #read} is called concurrently by any number of FUSE threads (several per stream); {@link #open} and
 * {@link #close(OpenStream)} by FUSE threads; fetchers run on their own daemon threads. No thread-local state (jffi
 * hands out throwaway threads): every scratch object is pooled. {@link #close()} once, at unmount.
 */
public final class StreamingReader implements AutoCloseable
{
    /** Bytes at the end of a media file a probe prefetches (the chunks holding them): container index, cues. */
    public static final long PROBE_TAIL_BYTES = 64 * 1024;

    private static final Logger LOG = LoggerFactory.getLogger(StreamingReader.class);
    private static final String[] MEDIA_EXTENSIONS = {
        "mkv", "mp4", "m4v", "avi", "mov", "webm", "ts", "m2ts", "wmv", "flv",
        "mp3", "flac", "m4a", "ogg", "opus", "wav"};
    private static final long JOIN_WAIT_MS = 2000;

    /** joinFetch: the fetch completed (successfully or not) while we waited; look in the cache. */
    private static final int WAITED = Integer.MIN_VALUE;
    /** joinFetch: the record was no longer the pending fetch of our chunk. */
    private static final int NOT_PENDING = Integer.MIN_VALUE + 1;

    /** joinProgressively: the fetch is not (or no longer) running with a ticket; wait for it to end. */
    private static final int FALLBACK = Integer.MIN_VALUE + 4;
    /**
     * How long a reader waits for a fetcher to pick up the queued chunk it needs before it reads its own range
     * directly instead (every fetcher busy, e.g. on pieces rqbit does not have yet).
     */
    private static final long PICKUP_WAIT_NS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final long PROGRESS_MIN_PARK_NS = TimeUnit.MICROSECONDS.toNanos(10);
    private static final long PROGRESS_MAX_PARK_NS = TimeUnit.MICROSECONDS.toNanos(200);

    /** runFetch: the chunk was resident by the time its entry was to be reserved; nothing fetched. */
    private static final int RESIDENT_ALREADY = -1;

    private static final int ENQUEUED = 0;
    private static final int SKIPPED = 1;
    private static final int NO_RECORD = 2;

    private final ReadPipeline pipeline;
    private final ChunkCache cache;
    /** Which pieces rqbit has, or null when unknown (read-ahead then runs unthrottled). */
    private final PieceAvailability pieces;
    private final ReadAheadConfig config;
    private final int chunkShift;
    private final int maxWindowChunks;
    private final boolean readAheadEnabled;
    private final ChunkFetch[] fetches;
    private final ManyToManyConcurrentArrayQueue<ChunkFetch> freeFetches;
    private final InFlightChunks inFlight;
    private final Thread[] fetchers;
    private final AtomicLong sequence = new AtomicLong();
    /** Monitor the fetchers sleep on; guards {@link #queued}. Never taken before a ChunkFetch monitor. */
    private final Object work = new Object();
    private int queued;
    /** QUEUED records of {@link ChunkFetch#PRIORITY_FOREGROUND}; guarded by {@link #work}. */
    private int queuedForeground;
    private final int foregroundFetchers;
    private volatile boolean closed;

    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder readAheadBytes = new LongAdder();
    private final LongAdder readAheadChunks = new LongAdder();
    private final LongAdder readAheadWasted = new LongAdder();
    private final LongAdder cancellations = new LongAdder();
    private final LongAdder inFlightWaits = new LongAdder();
    private final LongAdder directReads = new LongAdder();
    private final LongAdder withdrawnForDirectRead = new LongAdder();
    private final LongAdder chunkFetches = new LongAdder();
    private final LongAdder failedFetches = new LongAdder();
    private final LongAdder progressiveReads = new LongAdder();
    private final LongAdder throttledReadAhead = new LongAdder();
    private final LongAdder stagedFetches = new LongAdder();

    /**
     * Starts the fetcher threads. The pipeline and the cache stay the caller's: {@link #close()} closes neither.
     *
     * @throws IllegalArgumentException if a cache chunk is larger than one read request can carry.
     */
    public StreamingReader(final ReadPipeline pipeline, final ChunkCache cache, final ReadAheadConfig config)
    {
        this(pipeline, cache, config, null);
    }

    /**
     * As {@link #StreamingReader(ReadPipeline, ChunkCache, ReadAheadConfig)}, with piece awareness: a stream's
     * read-ahead goes no further than the first chunk ahead of its reader that rqbit does not have yet, and not into
     * the missing pieces of a paused torrent at all.
     *
     * @param pieces which pieces rqbit has (null: unknown).
     */
    public StreamingReader(
        final ReadPipeline pipeline, final ChunkCache cache, final ReadAheadConfig config, final PieceAvailability pieces)
    {
        final int chunkSize = cache.config().chunkSize();
        if (chunkSize > SlotLayout.MAX_READ_LENGTH)
        {
            throw new IllegalArgumentException("cache chunk size " + chunkSize + " exceeds the largest read request "
                + SlotLayout.MAX_READ_LENGTH);
        }
        this.pipeline = pipeline;
        this.cache = cache;
        this.pieces = pieces;
        this.config = config;
        this.chunkShift = cache.config().chunkShift();
        this.maxWindowChunks = (int)Math.min(config.readAheadMax() / chunkSize, OpenStream.MAX_WINDOW_CHUNKS);
        this.readAheadEnabled = config.fetchers() > 0 && maxWindowChunks > 0;

        final int records = config.trackedFetches() + config.foregroundBuffers();
        this.fetches = new ChunkFetch[records];
        this.freeFetches = new ManyToManyConcurrentArrayQueue<>(Math.max(2, records));
        for (int i = 0; i < records; i++)
        {
            fetches[i] = new ChunkFetch(i);
            freeFetches.offer(fetches[i]);
        }
        this.inFlight = new InFlightChunks(records);
        final int fetcherCount = readAheadEnabled ? config.fetchers() : 0;
        this.foregroundFetchers = config.foregroundBuffers();
        this.fetchers = new Thread[fetcherCount + foregroundFetchers];
        for (int i = 0; i < fetchers.length; i++)
        {
            final boolean foregroundOnly = i >= fetcherCount;
            final Staging staging = new Staging(chunkSize);
            final Thread t = new Thread(() -> fetcherLoop(staging, foregroundOnly),
                foregroundOnly ? "fe-fetch-" + (i - fetcherCount) : "fe-readahead-" + i);
            t.setDaemon(true);
            fetchers[i] = t;
        }
        for (final Thread t : fetchers)
        {
            t.start();
        }
        LOG.info("streaming reader: chunk {} B, read-ahead up to {} chunks, {} read-ahead fetchers, {} foreground fetchers",
            chunkSize, readAheadEnabled ? maxWindowChunks : 0, fetcherCount, foregroundFetchers);
    }

    /**
     * @param fileName a file name or path.
     * @return true for a media container or audio file by its extension (mkv mp4 m4v avi mov webm ts m2ts wmv flv
     * mp3 flac m4a ogg opus wav, any case): the files media servers probe at head and tail.
     */
    public static boolean isMediaName(final String fileName)
    {
        final int dot = fileName.lastIndexOf('.');
        if (dot < 0 || dot == fileName.length() - 1 || fileName.indexOf('/', dot) >= 0)
        {
            return false;
        }
        final int extLength = fileName.length() - dot - 1;
        for (final String ext : MEDIA_EXTENSIONS)
        {
            if (ext.length() == extLength && fileName.regionMatches(true, dot + 1, ext, 0, extLength))
            {
                return true;
            }
        }
        return false;
    }

    // ------------------------------------------------------------------------------------------------ streams

    /**
     * FUSE thread ({@code open}): the per-handle state of a new open file. With {@code mediaProbe}, queues the head
     * and tail chunks at low priority (a scanner or player reads the container header and index first).
     */
    public OpenStream open(final StreamTarget target, final boolean mediaProbe)
    {
        return open(target, CacheFileIdentity.of(target), mediaProbe);
    }

    /**
     * As {@link #open(StreamTarget, boolean)} with a cache identity the caller built once per file.
     */
    public OpenStream open(final StreamTarget target, final CacheFileIdentity file, final boolean mediaProbe)
    {
        final OpenStream s = new OpenStream(target, file, mediaProbe, chunkShift, PROBE_TAIL_BYTES,
            config.sequentialReads(), config.sequentialSlack(), maxWindowChunks);
        if (mediaProbe && readAheadEnabled && !closed && target.length() > 0)
        {
            tryEnqueue(s, 0, ChunkFetch.PRIORITY_PROBE, true);
            for (long c = Math.max(1, s.tailFromChunk()); c <= s.lastChunk(); c++)
            {
                tryEnqueue(s, c, ChunkFetch.PRIORITY_PROBE, true);
            }
        }
        return s;
    }

    /**
     * FUSE thread ({@code release}): the handle is gone; cancels its queued and in-flight read-ahead that no reader
     * waits on. Idempotent.
     */
    public void close(final OpenStream s)
    {
        if (s.markClosed())
        {
            cancelReadAhead(s);
        }
    }

    // ------------------------------------------------------------------------------------------------ reads

    /**
     * FUSE thread: reads up to {@code length} bytes of the stream's file at {@code offset} into native memory at
     * {@code destAddress}. Short only at end of file. Allocation-free on a cache hit.
     *
     * @return bytes read, or a negated errno.
     */
    public int read(final OpenStream s, final long offset, final int length, final long destAddress)
    {
        return read(s, offset, length, destAddress, null);
    }

    /**
     * FUSE thread: as {@link #read(OpenStream, long, int, long)}, for a caller that can take the bytes where they
     * are. A read inside one chunk that is resident, or that a running fetch is bringing in, is handed to
     * {@link ReadSink#take} from the chunk or the fetch's destination (pinned for the call); anything else is
     * copied into {@link ReadSink#destination}. Allocation-free on a cache hit.
     *
     * @return bytes read (taken, or copied to the sink's destination), or a negated errno.
     */
    public int read(final OpenStream s, final long offset, final int length, final ReadSink sink)
    {
        return read(s, offset, length, 0, sink);
    }

    /** Exactly one of {@code destAddress} (non-zero) and {@code sink} (non-null) is given. */
    private int read(
        final OpenStream s, final long offset, final int length, final long destAddress, final ReadSink sink)
    {
        if (offset < 0 || length < 0)
        {
            return -Errno.EINVAL;
        }
        final long fileLength = s.file().fileLength();
        if (length == 0 || offset >= fileLength)
        {
            return 0;
        }
        final int n = (int)Math.min(length, fileLength - offset);
        if (n > SlotLayout.MAX_READ_LENGTH)
        {
            return -Errno.EINVAL;
        }
        final long deadline = System.nanoTime() + pipeline.readTimeoutNanos();
        final long observed = s.observe(offset, n);
        if ((observed & OpenStream.SEEK) != 0)
        {
            cancelReadAhead(s);
        }
        final int count = OpenStream.readAheadCount(observed);
        if (count > 0 && readAheadEnabled && !closed)
        {
            issueReadAhead(s, OpenStream.readAheadFrom(observed), count);
        }
        if (fromCache(s.file(), offset, n, destAddress, sink) == n)
        {
            hits.increment();
            return n;
        }
        misses.increment();
        final boolean chunkPolicy = (observed & OpenStream.USE_CHUNK_FETCH) != 0;
        final long firstChunk = offset >>> chunkShift;
        final long lastChunk = (offset + n - 1) >>> chunkShift;
        if (firstChunk == lastChunk)
        {
            return readPiece(s, firstChunk, offset, n, destAddress, sink, deadline, chunkPolicy || s.isProbeChunk(firstChunk), false);
        }
        final long dst = sink == null ? destAddress : sink.destination(n);
        int done = 0;
        while (done < n)
        {
            final long off = offset + done;
            final long chunk = off >>> chunkShift;
            final int pn = (int)Math.min(n - done, ((chunk + 1) << chunkShift) - off);
            final int r = readPiece(s, chunk, off, pn, dst + done, null, deadline, chunkPolicy || s.isProbeChunk(chunk), true);
            if (r < 0)
            {
                return r;
            }
            done += pn;
        }
        return n;
    }

    /** Reads the cache into {@code dst}, or hands the bytes to {@code sink} (exactly one of them is given). */
    private int fromCache(final CacheFileIdentity file, final long off, final int n, final long dst, final ReadSink sink)
    {
        return sink == null ? cache.read(file, off, n, dst) : cache.read(file, off, n, sink);
    }

    /**
     * One read's bytes inside one chunk, not (all) resident, into {@code dst} or (the whole read, when it lies in
     * one chunk) to {@code sink}: exactly one of them is given.
     */
    private int readPiece(
        final OpenStream s,
        final long chunk,
        final long off,
        final int pn,
        final long dst,
        final ReadSink sink,
        final long deadline,
        final boolean wantChunk,
        final boolean tryCacheFirst)
    {
        final CacheFileIdentity file = s.file();
        if (tryCacheFirst && fromCache(file, off, pn, dst, sink) == pn)
        {
            return pn;
        }
        if (s.evictedBeforeRead(chunk))
        {
            readAheadWasted.increment();
        }
        ChunkFetch f = inFlight.find(file, chunk);
        if (f == null && wantChunk && foregroundFetchers > 0 && !closed)
        {
            // queue the whole chunk at the front for a fetcher, and take our part as soon as it has arrived
            if (tryEnqueue(s, chunk, ChunkFetch.PRIORITY_FOREGROUND, false) == SKIPPED
                && fromCache(file, off, pn, dst, sink) == pn)
            {
                return pn;
            }
            f = inFlight.find(file, chunk);
        }
        if (f != null)
        {
            final int r = joinFetch(f, file, chunk, off, pn, dst, sink, deadline);
            if (r >= 0 || r == -Errno.ETIMEDOUT || r == -Errno.EINTR)
            {
                return r;
            }
            if (fromCache(file, off, pn, dst, sink) == pn)
            {
                return pn;
            }
        }
        return direct(s.target(), off, pn, sink == null ? dst : sink.destination(pn), deadline);
    }

    private int direct(final StreamTarget target, final long off, final int pn, final long dst, final long deadline)
    {
        directReads.increment();
        final int r = pipeline.read(target, off, pn, dst, deadline);
        return r == pn || r < 0 ? r : -Errno.EIO;
    }

    /**
     * Serves a read from the fetch of {@code chunk} already queued or running, without asking the backend again:
     * <ol>
     *   <li>still queued: moves it to the front of the queue and waits up to {@link #PICKUP_WAIT_NS} for a fetcher
     *   to start it (else {@link #NOT_PENDING}: the caller reads its own range directly; if that range is the whole
     *   chunk and no other reader waits for the fetch, the fetch leaves the queue, so no byte is fetched twice);</li>
     *   <li>running: copies this read's part out of the fetch's destination as soon as the transport has
     *   delivered it ({@link #joinProgressively}), so a reader waits for its own 128 KiB, not for the whole chunk;</li>
     *   <li>otherwise: waits for the fetch to end, and the caller reads the cache.</li>
     * </ol>
     *
     * @return {@code pn} if served, {@link #WAITED} when the fetch ended (look in the cache), {@link #NOT_PENDING},
     * or {@code -ETIMEDOUT}/{@code -EINTR}.
     */
    private int joinFetch(
        final ChunkFetch f,
        final CacheFileIdentity file,
        final long chunk,
        final long off,
        final int pn,
        final long dst,
        final ReadSink sink,
        final long deadline)
    {
        boolean withdrawn = false;
        synchronized (f)
        {
            if (!f.isPendingFetchOf(file, chunk) || f.cancelRequested)
            {
                return NOT_PENDING;
            }
            f.needed = true;
            inFlightWaits.increment();
            if (f.state == ChunkFetch.QUEUED)
            {
                promote(f);
                final int r = awaitRecord(f, false, Math.min(deadline, System.nanoTime() + PICKUP_WAIT_NS), deadline);
                if (r != 0)
                {
                    return r;
                }
                if (!f.isPendingFetchOf(file, chunk))
                {
                    return WAITED;
                }
                if (f.state == ChunkFetch.QUEUED)
                {
                    // no fetcher free in time: read our range directly. The chunk stays queued for the reads after
                    // ours, unless ours is the whole chunk and nobody else waits for it: then it leaves the queue,
                    // or a fetcher would later ask the backend for the very bytes our direct read gets now
                    if (off != chunk << chunkShift || pn != f.chunkLength || f.waiters > 0)
                    {
                        return NOT_PENDING;
                    }
                    withdrawQueued(f);
                    withdrawn = true;
                }
            }
        }
        if (withdrawn)
        {
            withdrawnForDirectRead.increment();
            complete(f, Errno.ECANCELED);
            return NOT_PENDING;
        }
        final int progressive = joinProgressively(f, file, chunk, off, pn, dst, sink, deadline);
        if (progressive != FALLBACK)
        {
            return progressive;
        }
        synchronized (f)
        {
            if (!f.isPendingFetchOf(file, chunk))
            {
                return WAITED;
            }
            final int r = awaitRecord(f, true, deadline, deadline);
            return r != 0 ? r : WAITED;
        }
    }

    /** Under {@code f}'s monitor, {@code f} QUEUED: a reader needs it now; foreground fetchers may take it. */
    private void promote(final ChunkFetch f)
    {
        if (f.priority != ChunkFetch.PRIORITY_FOREGROUND)
        {
            f.priority = ChunkFetch.PRIORITY_FOREGROUND;
            synchronized (work)
            {
                queuedForeground++;
                work.notifyAll();
            }
        }
    }

    /**
     * Under {@code f}'s monitor, as a waiter (the record is not recycled meanwhile): waits until {@code f} is DONE
     * ({@code untilDone}) or has left QUEUED (a fetcher took it: {@link #takeQueued} notifies), or {@code until}.
     *
     * @return 0 when it changed or {@code until} passed before {@code deadline}; {@code -ETIMEDOUT} once the
     * deadline passed; {@code -EINTR}.
     */
    private int awaitRecord(final ChunkFetch f, final boolean untilDone, final long until, final long deadline)
    {
        f.waiters++;
        try
        {
            while (untilDone ? f.state != ChunkFetch.DONE : f.state == ChunkFetch.QUEUED)
            {
                final long now = System.nanoTime();
                if (now - until >= 0)
                {
                    return now - deadline >= 0 ? -Errno.ETIMEDOUT : 0;
                }
                TimeUnit.NANOSECONDS.timedWait(f, until - now);
            }
            return 0;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return -Errno.EINTR;
        }
        finally
        {
            f.waiters--;
            if (f.state == ChunkFetch.DONE && f.waiters == 0)
            {
                recycle(f);
            }
        }
    }

    /**
     * A progressive reader's pause between looks at a fetch: parks up to {@code parkNs} (not past the deadline).
     *
     * @return 0, or {@code -ETIMEDOUT}/{@code -EINTR} instead of parking.
     */
    private static int pause(final long deadline, final long parkNs)
    {
        final long remaining = deadline - System.nanoTime();
        if (remaining <= 0)
        {
            return -Errno.ETIMEDOUT;
        }
        if (Thread.currentThread().isInterrupted())
        {
            return -Errno.EINTR;
        }
        LockSupport.parkNanos(Math.min(parkNs, remaining));
        return 0;
    }

    /**
     * Takes this read's part out of the destination (reserved cache entry or staging buffer) of the RUNNING fetch
     * {@code f} as soon as the transport has delivered it (parked in {@link ReadPipeline#awaitDelivered}, which the
     * transport wakes once that part is there), instead of waiting for the whole chunk. The bytes are final once
     * delivered; the destination stays the fetch's until its owner withdraws the ticket and waits for readers still
     * copying ({@link ChunkFetch#copiers}) in {@link #runFetch}.
     *
     * @return {@code pn}, {@code -ETIMEDOUT}/{@code -EINTR}, or {@link #FALLBACK} when the fetch is not running
     * with a ticket (queued, starting, or already over: wait for its end and read the cache).
     */
    private int joinProgressively(
        final ChunkFetch f,
        final CacheFileIdentity file,
        final long chunk,
        final long off,
        final int pn,
        final long dst,
        final ReadSink sink,
        final long deadline)
    {
        final int from = (int)(off - (chunk << chunkShift));
        long ticket;
        long source;
        long parkNs = PROGRESS_MIN_PARK_NS;
        final long startBy = System.nanoTime() + PICKUP_WAIT_NS;
        while (true)
        {
            synchronized (f)
            {
                if (!f.isPendingFetchOf(file, chunk))
                {
                    return FALLBACK;
                }
                final int state = f.state;
                if (state == ChunkFetch.RUNNING && f.ticket >= 0)
                {
                    ticket = f.ticket;
                    source = f.destinationAddress;
                    break;
                }
                if (state == ChunkFetch.QUEUED)
                {
                    return FALLBACK;
                }
            }
            // CLAIMED, or RUNNING with its request not started yet: a fetcher has just taken it; wait for the ticket
            final long now = System.nanoTime();
            if (now - startBy >= 0 && now - deadline < 0)
            {
                return FALLBACK;
            }
            final int paused = pause(deadline, parkNs);
            if (paused != 0)
            {
                return paused;
            }
            parkNs = Math.min(parkNs * 2, PROGRESS_MAX_PARK_NS);
        }
        final int delivered = pipeline.awaitDelivered(ticket, from + pn, deadline);
        if (delivered == -1)
        {
            return FALLBACK;
        }
        if (delivered < 0)
        {
            return delivered; // -ETIMEDOUT or -EINTR
        }
        synchronized (f)
        {
            if (f.ticket != ticket || f.state != ChunkFetch.RUNNING)
            {
                return FALLBACK;
            }
            f.copiers++;
        }
        try
        {
            if (sink != null)
            {
                sink.take(source + from, pn); // pinned: the fetch's owner waits for its copiers
            }
            else
            {
                UnsafeApi.copyMemory(source + from, dst, pn);
            }
        }
        finally
        {
            synchronized (f)
            {
                if (--f.copiers == 0)
                {
                    f.notifyAll();
                }
            }
        }
        progressiveReads.increment();
        return pn;
    }

    // ------------------------------------------------------------------------------------------------ read-ahead

    /**
     * Queues the stream's window {@code [from, from + count)}. With piece awareness it stops (and lets a later read
     * resume from there) at a chunk rqbit does not have yet unless every byte between the reader's chunk and it is
     * had: one missing chunk in flight ahead of the reader keeps rqbit prioritising the pieces there (an open stream
     * on them is how it learns), more would only park connections on pieces the swarm has not delivered. Nothing
     * missing is read ahead for a paused torrent.
     */
    private void issueReadAhead(final OpenStream s, final long from, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            final long chunk = from + i;
            if (pieces != null && !mayReadAhead(s, chunk))
            {
                s.readAheadStalled(chunk);
                throttledReadAhead.increment();
                return;
            }
            if (tryEnqueue(s, chunk, ChunkFetch.PRIORITY_READ_AHEAD, true) == NO_RECORD)
            {
                s.readAheadStalled(chunk);
                return;
            }
        }
    }

    /** Piece awareness: see {@link #issueReadAhead}. */
    private boolean mayReadAhead(final OpenStream s, final long chunk)
    {
        final long start = chunk << chunkShift;
        final int verdict = pieces.classify(s.target(), start, Math.max(1, cache.expectedChunkLength(s.file(), chunk)));
        if (verdict == PieceAvailability.AVAILABLE || verdict == PieceAvailability.UNKNOWN)
        {
            return true;
        }
        if (verdict == PieceAvailability.PAUSED)
        {
            return false;
        }
        final long gapStart = (s.readerChunk() + 1) << chunkShift;
        final long gap = start - gapStart;
        return gap <= 0 || pieces.availableBytes(s.target(), gapStart, gap) >= gap;
    }

    /**
     * Queues a fetch of {@code chunk} for the fetchers, unless it is resident or in flight already.
     *
     * @param readAhead true for read-ahead and probe prefetch (owned by {@code s}: its seek or close cancels it);
     *                  false for a reader's miss (needed now, never cancelled).
     */
    private int tryEnqueue(final OpenStream s, final long chunk, final int priority, final boolean readAhead)
    {
        final CacheFileIdentity file = s.file();
        final long length = cache.expectedChunkLength(file, chunk);
        if (length <= 0 || inFlight.find(file, chunk) != null || cache.isResident(file, chunk))
        {
            return SKIPPED;
        }
        final ChunkFetch f = freeFetches.poll();
        if (f == null)
        {
            return NO_RECORD;
        }
        synchronized (f)
        {
            f.describe(file, s.target(), chunk, (int)length, readAhead ? s : null, readAhead, priority,
                sequence.incrementAndGet());
            f.state = ChunkFetch.CLAIMED;
        }
        if (inFlight.putIfAbsent(f) != null)
        {
            synchronized (f)
            {
                f.clear();
            }
            freeFetches.offer(f);
            return SKIPPED;
        }
        synchronized (f)
        {
            f.state = ChunkFetch.QUEUED;
            synchronized (work)
            {
                queued++;
                if (priority == ChunkFetch.PRIORITY_FOREGROUND)
                {
                    queuedForeground++;
                }
                work.notifyAll(); // foreground-only fetchers wait on the same monitor for other work
            }
        }
        return ENQUEUED;
    }

    /**
     * Cancels {@code s}'s queued and running read-ahead that no reader needs: first every queued one leaves the queue
     * and every running one is marked, then the running ones' requests are cancelled. In that order because a
     * cancelled request frees its fetcher at once: cancelled first, it would take the stream's next queued chunk
     * and send that doomed request to rqbit before this method got to it (a test saw it).
     */
    private void cancelReadAhead(final OpenStream s)
    {
        boolean anyRunning = false;
        for (final ChunkFetch f : fetches)
        {
            if (f.owner != s)
            {
                continue;
            }
            boolean wasQueued = false;
            synchronized (f)
            {
                if (f.owner != s || f.needed || f.cancelRequested || f.waiters > 0)
                {
                    continue;
                }
                if (f.state == ChunkFetch.QUEUED)
                {
                    withdrawQueued(f);
                    wasQueued = true;
                }
                else if (f.state == ChunkFetch.RUNNING)
                {
                    anyRunning = true;
                    f.cancelRequested = true;
                }
                else
                {
                    continue;
                }
            }
            cancellations.increment();
            readAheadWasted.increment();
            if (wasQueued)
            {
                complete(f, Errno.ECANCELED);
            }
        }
        if (!anyRunning)
        {
            return;
        }
        for (final ChunkFetch f : fetches)
        {
            if (f.owner != s)
            {
                continue;
            }
            final long ticket;
            synchronized (f)
            {
                if (f.owner != s || !f.cancelRequested || f.state != ChunkFetch.RUNNING)
                {
                    continue;
                }
                ticket = f.ticket;
            }
            if (ticket >= 0)
            {
                pipeline.cancel(ticket, Errno.ECANCELED);
            }
            // a running fetch without a ticket yet sees cancelRequested after publishing its ticket
        }
    }

    /**
     * A fetcher thread: runs queued chunk fetches into its own staging buffer. Read-ahead fetchers take any
     * (readers' first); foreground-only ones only those a reader waits for, so a reader's miss never queues behind
     * read-ahead and probe prefetch.
     */
    private void fetcherLoop(final Staging staging, final boolean foregroundOnly)
    {
        while (true)
        {
            synchronized (work)
            {
                while ((foregroundOnly ? queuedForeground : queued) == 0 && !closed)
                {
                    try
                    {
                        work.wait();
                    }
                    catch (final InterruptedException ex)
                    {
                        return;
                    }
                }
                if (closed)
                {
                    return;
                }
            }
            final ChunkFetch f = takeQueued(foregroundOnly);
            if (f == null)
            {
                continue;
            }
            int errno = Errno.EIO;
            try
            {
                if (cache.isResident(f.file, f.chunkIndex))
                {
                    errno = 0;
                    continue;
                }
                errno = runFetch(f, staging, System.nanoTime() + pipeline.readTimeoutNanos());
                if (errno == RESIDENT_ALREADY)
                {
                    errno = 0; // became resident since the check above: nothing was fetched
                    continue;
                }
                if (errno == 0 && !f.readAhead)
                {
                    chunkFetches.increment(); // a reader's miss, handed to an idle fetcher
                }
                else if (errno == 0)
                {
                    readAheadBytes.add(f.chunkLength);
                    readAheadChunks.increment();
                    final OpenStream owner = f.owner;
                    if (owner != null && f.priority == ChunkFetch.PRIORITY_READ_AHEAD)
                    {
                        owner.noteReadAheadResident(f.chunkIndex);
                    }
                }
                else if (errno != Errno.ECANCELED)
                {
                    LOG.debug("read-ahead of chunk {} of {} failed: {}", f.chunkIndex, f.target, Errno.name(errno));
                }
            }
            catch (final RuntimeException ex)
            {
                LOG.error("read-ahead of chunk {} of {} failed", f.chunkIndex, f.target, ex);
            }
            finally
            {
                complete(f, errno);
            }
        }
    }

    /**
     * Fetcher: claims the queued fetch of highest priority (a reader's first, probe prefetch last), oldest first;
     * a foreground-only fetcher only one a reader waits for.
     */
    private ChunkFetch takeQueued(final boolean foregroundOnly)
    {
        for (int attempt = 0; attempt < 4; attempt++)
        {
            ChunkFetch best = null;
            for (final ChunkFetch f : fetches)
            {
                if (f.state == ChunkFetch.QUEUED
                    && (!foregroundOnly || f.priority == ChunkFetch.PRIORITY_FOREGROUND)
                    && (best == null || f.priority < best.priority || (f.priority == best.priority && f.sequence < best.sequence)))
                {
                    best = f;
                }
            }
            if (best == null)
            {
                return null;
            }
            synchronized (best)
            {
                if (best.state == ChunkFetch.QUEUED)
                {
                    best.state = ChunkFetch.RUNNING;
                    leaveQueued(best);
                    best.notifyAll(); // readers waiting for a fetcher to pick it up (awaitRecord)
                    return best;
                }
            }
        }
        return null;
    }

    /**
     * Under {@code f}'s monitor, {@code f} QUEUED: takes it out of the queue for good (no fetcher will start it). The
     * caller then ends it with {@code complete(f, ECANCELED)}, outside the monitor.
     */
    private void withdrawQueued(final ChunkFetch f)
    {
        f.state = ChunkFetch.RUNNING;
        leaveQueued(f);
        f.cancelRequested = true;
    }

    /** Under {@code f}'s monitor: it left QUEUED. */
    private void leaveQueued(final ChunkFetch f)
    {
        synchronized (work)
        {
            queued--;
            if (f.priority == ChunkFetch.PRIORITY_FOREGROUND)
            {
                queuedForeground--;
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ fetches

    /**
     * The thread that owns a RUNNING fetch: fetches the whole chunk and, only if every byte arrived, makes it resident.
     * The fetch writes straight into a map entry {@link ChunkCache#reserve reserved} for it (one copy, network to
     * cache), committed on success and dropped otherwise. Only when the cache refuses a reservation (no evictable
     * room) does it fetch into its staging buffer and {@link ChunkCache#put} the chunk (a second copy).
     * <p>
     * Progressive readers copy out of the destination while the fetch runs. Before the reservation ends (after which
     * the entry may be evicted and its memory reused) the owner withdraws the ticket and waits for those copies
     * under the record's monitor, so no reader can copy from memory that has moved on.
     *
     * @return 0, a positive errno, or {@link #RESIDENT_ALREADY} (nothing fetched).
     */
    private int runFetch(final ChunkFetch f, final Staging staging, final long deadline)
    {
        if (f.cancelRequested)
        {
            return Errno.ECANCELED;
        }
        final int length = f.chunkLength;
        final ChunkReservation reservation = staging.reservation;
        final int reserved = cache.reserve(f.file, f.chunkIndex, length, reservation);
        if (reserved == ChunkCache.ALREADY_RESIDENT)
        {
            return RESIDENT_ALREADY;
        }
        final boolean intoCache = reserved == ChunkCache.RESERVED;
        if (!intoCache)
        {
            stagedFetches.increment();
        }
        final long destination = intoCache ? reservation.payloadAddress() : staging.address();
        long ticket = -1;
        int r = -Errno.EIO;
        try
        {
            f.destinationAddress = destination; // published to progressive readers by the volatile write of ticket
            ticket = pipeline.start(f.target, f.chunkIndex << chunkShift, length, destination, deadline);
            if (ticket < 0)
            {
                r = (int)ticket;
                ticket = -1;
            }
            else
            {
                f.ticket = ticket;
                if (f.cancelRequested)
                {
                    pipeline.cancel(ticket, Errno.ECANCELED);
                }
                r = pipeline.awaitParked(ticket, length, deadline);
            }
        }
        finally
        {
            synchronized (f)
            {
                f.ticket = -1;
                awaitCopiers(f); // no progressive reader is copying out of the destination past this point
            }
            if (intoCache)
            {
                if (r == length)
                {
                    cache.commit(reservation);
                }
                else if (ticket >= 0 && pipeline.mayStillWrite(ticket))
                {
                    cache.abandon(reservation);
                }
                else
                {
                    cache.abort(reservation);
                }
            }
        }
        if (r != length)
        {
            failedFetches.increment();
            return r < 0 ? -r : Errno.EIO;
        }
        if (!intoCache && !cache.put(f.file, f.chunkIndex, staging.chunk(), length))
        {
            LOG.debug("chunk cache refused chunk {} of {}", f.chunkIndex, f.target);
        }
        return 0;
    }

    /** The owner of a RUNNING fetch: it ended (the chunk is in the cache if errno is 0); wake its waiters. */
    private void complete(final ChunkFetch f, final int errno)
    {
        inFlight.remove(f, f.file, f.chunkIndex);
        synchronized (f)
        {
            awaitCopiers(f);
            f.errno = errno;
            f.state = ChunkFetch.DONE;
            f.ticket = -1;
            f.notifyAll();
            if (f.waiters == 0)
            {
                recycle(f);
            }
        }
    }

    /**
     * Under the record's monitor, by the owner before its destination moves on: waits for progressive readers
     * still copying out of it (each copy is one memcpy of at most a read's length).
     */
    private static void awaitCopiers(final ChunkFetch f)
    {
        boolean interrupted = false;
        while (f.copiers > 0)
        {
            try
            {
                f.wait(1);
            }
            catch (final InterruptedException ex)
            {
                interrupted = true;
            }
        }
        if (interrupted)
        {
            Thread.currentThread().interrupt();
        }
    }

    /** Under the record's monitor, DONE with no waiter left. */
    private void recycle(final ChunkFetch f)
    {
        f.clear();
        if (!freeFetches.offer(f))
        {
            LOG.error("fetch record pool overflow: {}", f);
        }
    }

    // ------------------------------------------------------------------------------------------------ state

    /** Reads served entirely from the cache without waiting. */
    public long hits()
    {
        return hits.sum();
    }

    /** Reads not (entirely) resident when they arrived. */
    public long misses()
    {
        return misses.sum();
    }

    /** Bytes fetched by read-ahead and probe prefetch and made resident. */
    public long readAheadBytes()
    {
        return readAheadBytes.sum();
    }

    /** Chunks fetched by read-ahead and probe prefetch and made resident. */
    public long readAheadChunks()
    {
        return readAheadChunks.sum();
    }

    /**
     * Read-ahead chunks wasted: cancelled before any read, or evicted before the stream that fetched them read them.
     */
    public long readAheadWasted()
    {
        return readAheadWasted.sum();
    }

    /** Queued or in-flight read-ahead fetches cancelled by a seek or a close. */
    public long cancellations()
    {
        return cancellations.sum();
    }

    /** Reads that joined a chunk fetch already queued or in flight instead of asking the backend. */
    public long inFlightWaits()
    {
        return inFlightWaits.sum();
    }

    /** Misses served by a direct read of just their range. */
    public long directReads()
    {
        return directReads.sum();
    }

    /**
     * Queued chunk fetches taken out of the queue because no fetcher started them in time for a reader whose read
     * was the whole chunk: it read the chunk directly instead, and the fetch would have asked for the same bytes again.
     */
    public long withdrawnForDirectRead()
    {
        return withdrawnForDirectRead.sum();
    }

    /**
     * Chunk fetches that went through a fetcher's staging buffer (and a second copy into the cache) because the
     * cache refused to reserve an entry: 0 while the budget has evictable room.
     */
    public long stagedFetches()
    {
        return stagedFetches.sum();
    }

    /** Times read-ahead stopped short of its window because the pieces ahead were not downloaded yet. */
    public long throttledReadAhead()
    {
        return throttledReadAhead.sum();
    }

    /** Reads served from a chunk fetch still in flight, as soon as their part had arrived. */
    public long progressiveReads()
    {
        return progressiveReads.sum();
    }

    /** Whole chunks fetched by readers themselves (policy a, or a queued fetch taken over). */
    public long chunkFetches()
    {
        return chunkFetches.sum();
    }

    /** Chunk fetches (read-ahead or foreground) that failed, timed out or were cancelled in flight: never cached. */
    public long failedFetches()
    {
        return failedFetches.sum();
    }

    /** Chunks queued or being fetched now. */
    public int inFlightChunks()
    {
        return inFlight.size();
    }

    /** Tests: the record of the queued or running fetch of {@code chunk} of {@code file}, or null. */
    ChunkFetch fetchOf(final CacheFileIdentity file, final long chunk)
    {
        return inFlight.find(file, chunk);
    }

    /** Read-ahead chunks waiting for a fetcher now. */
    public int queuedChunks()
    {
        synchronized (work)
        {
            return queued;
        }
    }

    public ReadAheadConfig config()
    {
        return config;
    }

    /**
     * Stops the fetchers, cancelling what they fetch. Reads still work afterwards (direct and cached, no
     * read-ahead) as long as the pipeline and the cache are open.
     */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        synchronized (work)
        {
            work.notifyAll();
        }
        for (final ChunkFetch f : fetches)
        {
            final long ticket = f.ticket;
            if (f.readAhead && ticket >= 0)
            {
                f.cancelRequested = true;
                pipeline.cancel(ticket, Errno.ECANCELED);
            }
        }
        for (final Thread t : fetchers)
        {
            try
            {
                t.join(JOIN_WAIT_MS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                return;
            }
            if (t.isAlive())
            {
                LOG.warn("{} did not stop within {} ms", t.getName(), JOIN_WAIT_MS);
            }
        }
        // Queued fetches left behind: fail them so no reader waits on them until its deadline.
        for (final ChunkFetch f : fetches)
        {
            boolean take = false;
            synchronized (f)
            {
                if (f.state == ChunkFetch.QUEUED)
                {
                    withdrawQueued(f);
                    take = true;
                }
            }
            if (take)
            {
                complete(f, Errno.ECANCELED);
            }
        }
    }

    /**
     * A fetcher's own: the reservation its fetches write into, and the chunk-sized staging buffer laid out as a cache
     * entry ({@link ChunkBuffer}) it falls back to when the cache refuses a reservation.
     */
    private static final class Staging
    {
        final ChunkReservation reservation = new ChunkReservation();
        private final int chunkSize;
        private ChunkBuffer chunk;

        Staging(final int chunkSize)
        {
            this.chunkSize = chunkSize;
        }

        /** The staging buffer, allocated on first use: fetches go straight into the cache unless it refuses. */
        ChunkBuffer chunk()
        {
            if (chunk == null)
            {
                chunk = new ChunkBuffer(chunkSize);
            }
            return chunk;
        }

        long address()
        {
            return chunk().payloadAddress();
        }
    }
}
