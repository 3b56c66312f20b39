package io.fuseengine.core.readahead;

import io.fuseengine.core.cache.CacheFileIdentity;
import io.fuseengine.core.cache.ChunkCache;
import io.fuseengine.core.errno.Errno;
import io.fuseengine.core.read.ReadPipeline;
import io.fuseengine.core.read.SlotLayout;
import io.fuseengine.core.read.StreamTarget;
import org.agrona.BufferUtil;
import org.agrona.concurrent.ManyToManyConcurrentArrayQueue;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The read path with a chunk cache and read-ahead in front of the {@link ReadPipeline}: what FUSE {@code read}
 * calls.
 *
 * <h2>A read</h2>
 * Clamped to end of file (0 at or past it, no backend call). A cache hit is copied straight into the destination
 * (allocation-free). On a miss, if the covering chunk is already being fetched (by read-ahead, a probe prefetch or
 * another reader) the read waits for that fetch, with its own deadline, and is then served from the cache: bytes in
 * flight are never asked for twice. Otherwise:
 * <ul>
 *   <li><b>random reader</b> (the default): a direct read of just the requested range into the destination (copied
 *   once). It is the lowest latency and fetches the least: 128 KiB instead of a whole chunk the reader may never
 *   come back to;</li>
 *   <li><b>sequential reader</b> (window open), or a read in a <b>media-probe head/tail chunk</b>: one range request
 *   for the whole aligned chunk into a pooled staging buffer, put in the cache, the requested part copied out.
 *   The reader will read the rest of that chunk next (or a scanner its header/index), so this primes the cache.
 *   When no staging buffer is free it falls back to a direct read.</li>
 * </ul>
 * A fetch that fails or times out is never cached; its waiters fall back to a direct read within their own
 * deadline (or answer ETIMEDOUT if it is gone).
 *
 * <h2>Read-ahead</h2>
 * Per {@link OpenStream}: see its sequential detector. The window's chunks are queued in the shared
 * {@link InFlightChunks} table and fetched by {@code fe-readahead-N} threads (at most {@code max-connections − 1},
 * so foreground reads always find a connection) through the same pipeline (same deadlines, errno, cancellation),
 * each into its own staging buffer (memory: (fetchers + foreground buffers) × chunk size, whatever the number of
 * files). A chunk is put in the cache only if its fetch delivered every byte. A chunk already resident or in flight
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
    /** fetchChunk: no staging buffer or record free: read directly. */
    private static final int NOT_STARTED = Integer.MIN_VALUE + 2;
    /** fetchChunk: someone else put the chunk in flight first: wait for theirs. */
    private static final int RACED = Integer.MIN_VALUE + 3;

    private static final int ENQUEUED = 0;
    private static final int SKIPPED = 1;
    private static final int NO_RECORD = 2;

    private final ReadPipeline pipeline;
    private final ChunkCache cache;
    private final ReadAheadConfig config;
    private final int chunkShift;
    private final int maxWindowChunks;
    private final boolean readAheadEnabled;
    private final ChunkFetch[] fetches;
    private final ManyToManyConcurrentArrayQueue<ChunkFetch> freeFetches;
    private final InFlightChunks inFlight;
    private final ManyToManyConcurrentArrayQueue<Staging> foregroundStaging;
    private final Thread[] fetchers;
    private final AtomicLong sequence = new AtomicLong();
    /** Monitor the fetchers sleep on; guards {@link #queued}. Never taken before a ChunkFetch monitor. */
    private final Object work = new Object();
    private int queued;
    private volatile boolean closed;

    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder readAheadBytes = new LongAdder();
    private final LongAdder readAheadChunks = new LongAdder();
    private final LongAdder readAheadWasted = new LongAdder();
    private final LongAdder cancellations = new LongAdder();
    private final LongAdder inFlightWaits = new LongAdder();
    private final LongAdder directReads = new LongAdder();
    private final LongAdder chunkFetches = new LongAdder();
    private final LongAdder failedFetches = new LongAdder();

    /**
     * Starts the fetcher threads. The pipeline and the cache stay the caller's: {@link #close()} closes neither.
     *
     * @throws IllegalArgumentException if a cache chunk is larger than one read request can carry.
     */
    public StreamingReader(final ReadPipeline pipeline, final ChunkCache cache, final ReadAheadConfig config)
    {
        final int chunkSize = cache.config().chunkSize();
        if (chunkSize > SlotLayout.MAX_READ_LENGTH)
        {
            throw new IllegalArgumentException("cache chunk size " + chunkSize + " exceeds the largest read request "
                + SlotLayout.MAX_READ_LENGTH);
        }
        this.pipeline = pipeline;
        this.cache = cache;
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
        this.foregroundStaging = new ManyToManyConcurrentArrayQueue<>(Math.max(2, config.foregroundBuffers()));
        for (int i = 0; i < config.foregroundBuffers(); i++)
        {
            foregroundStaging.offer(new Staging(chunkSize));
        }
        final int fetcherCount = readAheadEnabled ? config.fetchers() : 0;
        this.fetchers = new Thread[fetcherCount];
        for (int i = 0; i < fetcherCount; i++)
        {
            final Staging staging = new Staging(chunkSize);
            final Thread t = new Thread(() -> fetcherLoop(staging), "fe-readahead-" + i);
            t.setDaemon(true);
            fetchers[i] = t;
        }
        for (final Thread t : fetchers)
        {
            t.start();
        }
        LOG.info("streaming reader: chunk {} B, read-ahead up to {} chunks, {} fetchers, {} foreground buffers",
            chunkSize, readAheadEnabled ? maxWindowChunks : 0, fetcherCount, config.foregroundBuffers());
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
            tryEnqueue(s, 0, ChunkFetch.PRIORITY_PROBE);
            for (long c = Math.max(1, s.tailFromChunk()); c <= s.lastChunk(); c++)
            {
                tryEnqueue(s, c, ChunkFetch.PRIORITY_PROBE);
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
        if (cache.read(s.file(), offset, n, destAddress) == n)
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
            return readPiece(s, firstChunk, offset, n, destAddress, deadline, chunkPolicy || s.isProbeChunk(firstChunk), false);
        }
        int done = 0;
        while (done < n)
        {
            final long off = offset + done;
            final long chunk = off >>> chunkShift;
            final int pn = (int)Math.min(n - done, ((chunk + 1) << chunkShift) - off);
            final int r = readPiece(s, chunk, off, pn, destAddress + done, deadline, chunkPolicy || s.isProbeChunk(chunk), true);
            if (r < 0)
            {
                return r;
            }
            done += pn;
        }
        return n;
    }

    /** One read's bytes inside one chunk, not (all) resident. */
    private int readPiece(
        final OpenStream s,
        final long chunk,
        final long off,
        final int pn,
        final long dst,
        final long deadline,
        final boolean wantChunk,
        final boolean tryCacheFirst)
    {
        final CacheFileIdentity file = s.file();
        if (tryCacheFirst && cache.read(file, off, pn, dst) == pn)
        {
            return pn;
        }
        if (s.evictedBeforeRead(chunk))
        {
            readAheadWasted.increment();
        }
        ChunkFetch f = inFlight.find(file, chunk);
        if (f == null && wantChunk)
        {
            final int r = fetchChunk(s.target(), file, chunk, off, pn, dst, deadline);
            if (r != NOT_STARTED && r != RACED)
            {
                return r;
            }
            if (r == RACED)
            {
                f = inFlight.find(file, chunk);
            }
        }
        if (f != null)
        {
            final int r = joinFetch(f, file, chunk, off, pn, dst, deadline);
            if (r >= 0 || r == -Errno.ETIMEDOUT || r == -Errno.EINTR)
            {
                return r;
            }
            if (cache.read(file, off, pn, dst) == pn)
            {
                return pn;
            }
        }
        return direct(s.target(), off, pn, dst, deadline);
    }

    private int direct(final StreamTarget target, final long off, final int pn, final long dst, final long deadline)
    {
        directReads.increment();
        final int r = pipeline.read(target, off, pn, dst, deadline);
        return r == pn || r < 0 ? r : -Errno.EIO;
    }

    /**
     * Waits for (or, if it is still queued and a staging buffer is free, takes over and runs) the fetch of
     * {@code chunk}.
     *
     * @return {@code pn} if served, {@link #WAITED} when the fetch ended (look in the cache), {@link #NOT_PENDING},
     * or {@code -ETIMEDOUT} when this read's deadline passed.
     */
    private int joinFetch(
        final ChunkFetch f,
        final CacheFileIdentity file,
        final long chunk,
        final long off,
        final int pn,
        final long dst,
        final long deadline)
    {
        Staging staging = null;
        synchronized (f)
        {
            if (!f.isPendingFetchOf(file, chunk) || f.cancelRequested)
            {
                return NOT_PENDING;
            }
            f.needed = true;
            if (f.state == ChunkFetch.QUEUED)
            {
                staging = foregroundStaging.poll();
                if (staging != null)
                {
                    f.state = ChunkFetch.RUNNING;
                    leaveQueued();
                }
            }
            if (staging == null)
            {
                inFlightWaits.increment();
                f.waiters++;
                try
                {
                    while (f.state != ChunkFetch.DONE)
                    {
                        final long remaining = deadline - System.nanoTime();
                        if (remaining <= 0)
                        {
                            return -Errno.ETIMEDOUT;
                        }
                        TimeUnit.NANOSECONDS.timedWait(f, remaining);
                    }
                    return WAITED;
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
        }
        // taken over from the queue: this reader runs the fetch; others keep waiting on the record
        try
        {
            chunkFetches.increment();
            final int errno = runFetch(f, staging, deadline);
            if (errno == 0)
            {
                staging.copyOut((int)(off - (chunk << chunkShift)), dst, pn);
            }
            complete(f, errno);
            return errno == 0 ? pn : WAITED;
        }
        finally
        {
            foregroundStaging.offer(staging);
        }
    }

    /**
     * Foreground whole-chunk fetch (policy a): claims the chunk in the in-flight table, fetches it into a pooled
     * staging buffer, caches it, copies the requested part out.
     *
     * @return {@code pn}, a negated errno, {@link #NOT_STARTED} or {@link #RACED}.
     */
    private int fetchChunk(
        final StreamTarget target,
        final CacheFileIdentity file,
        final long chunk,
        final long off,
        final int pn,
        final long dst,
        final long deadline)
    {
        final Staging staging = foregroundStaging.poll();
        if (staging == null)
        {
            return NOT_STARTED;
        }
        try
        {
            final ChunkFetch f = freeFetches.poll();
            if (f == null)
            {
                return NOT_STARTED;
            }
            synchronized (f)
            {
                f.describe(file, target, chunk, (int)cache.expectedChunkLength(file, chunk), null, false, 0, 0);
                f.state = ChunkFetch.RUNNING;
            }
            if (inFlight.putIfAbsent(f) != null)
            {
                synchronized (f)
                {
                    f.clear();
                }
                freeFetches.offer(f);
                return RACED;
            }
            if (cache.read(file, off, pn, dst) == pn)
            {
                complete(f, 0);
                return pn;
            }
            chunkFetches.increment();
            final int errno = runFetch(f, staging, deadline);
            if (errno == 0)
            {
                staging.copyOut((int)(off - (chunk << chunkShift)), dst, pn);
            }
            complete(f, errno);
            return errno == 0 ? pn : -errno;
        }
        finally
        {
            foregroundStaging.offer(staging);
        }
    }

    // ------------------------------------------------------------------------------------------------ read-ahead

    private void issueReadAhead(final OpenStream s, final long from, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            if (tryEnqueue(s, from + i, ChunkFetch.PRIORITY_READ_AHEAD) == NO_RECORD)
            {
                s.readAheadStalled(from + i);
                return;
            }
        }
    }

    /**
     * Queues a fetch of {@code chunk} for the fetchers, unless it is resident or in flight already.
     */
    private int tryEnqueue(final OpenStream s, final long chunk, final int priority)
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
            f.describe(file, s.target(), chunk, (int)length, s, true, priority, sequence.incrementAndGet());
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
                work.notify();
            }
        }
        return ENQUEUED;
    }

    /**
     * Cancels {@code s}'s queued and running read-ahead that no reader needs.
     */
    private void cancelReadAhead(final OpenStream s)
    {
        for (final ChunkFetch f : fetches)
        {
            if (f.owner != s)
            {
                continue;
            }
            boolean wasQueued = false;
            long ticket = -1;
            synchronized (f)
            {
                if (f.owner != s || f.needed || f.cancelRequested || f.waiters > 0)
                {
                    continue;
                }
                if (f.state == ChunkFetch.QUEUED)
                {
                    f.state = ChunkFetch.RUNNING;
                    leaveQueued();
                    wasQueued = true;
                }
                else if (f.state == ChunkFetch.RUNNING)
                {
                    ticket = f.ticket;
                }
                else
                {
                    continue;
                }
                f.cancelRequested = true;
            }
            cancellations.increment();
            readAheadWasted.increment();
            if (wasQueued)
            {
                complete(f, Errno.ECANCELED);
            }
            else if (ticket >= 0)
            {
                pipeline.cancel(ticket, Errno.ECANCELED);
            }
            // a running fetch without a ticket yet sees cancelRequested after publishing its ticket
        }
    }

    private void fetcherLoop(final Staging staging)
    {
        while (true)
        {
            synchronized (work)
            {
                while (queued == 0 && !closed)
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
            final ChunkFetch f = takeQueued();
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
                if (errno == 0)
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

    /** Fetcher: claims the queued fetch of highest priority (probe prefetch last), oldest first. */
    private ChunkFetch takeQueued()
    {
        for (int attempt = 0; attempt < 4; attempt++)
        {
            ChunkFetch best = null;
            for (final ChunkFetch f : fetches)
            {
                if (f.state == ChunkFetch.QUEUED
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
                    leaveQueued();
                    return best;
                }
            }
        }
        return null;
    }

    /** Under a ChunkFetch monitor: a record left QUEUED. */
    private void leaveQueued()
    {
        synchronized (work)
        {
            queued--;
        }
    }

    // ------------------------------------------------------------------------------------------------ fetches

    /**
     * The thread that owns a RUNNING fetch: fetches the whole chunk into {@code staging} through the pipeline and,
     * only if every byte arrived, puts it in the cache.
     *
     * @return 0, or a positive errno.
     */
    private int runFetch(final ChunkFetch f, final Staging staging, final long deadline)
    {
        if (f.cancelRequested)
        {
            return Errno.ECANCELED;
        }
        final int length = f.chunkLength;
        final long ticket = pipeline.start(f.target, f.chunkIndex << chunkShift, length, staging.address, deadline);
        if (ticket < 0)
        {
            failedFetches.increment();
            return (int)-ticket;
        }
        f.ticket = ticket;
        if (f.cancelRequested)
        {
            pipeline.cancel(ticket, Errno.ECANCELED);
        }
        final int r = pipeline.await(ticket, length, deadline);
        f.ticket = -1;
        if (r != length)
        {
            failedFetches.increment();
            return r < 0 ? -r : Errno.EIO;
        }
        if (!cache.put(f.file, f.chunkIndex, staging.address, length))
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

    /** Reads that waited for a chunk already being fetched instead of asking the backend. */
    public long inFlightWaits()
    {
        return inFlightWaits.sum();
    }

    /** Misses served by a direct read of just their range. */
    public long directReads()
    {
        return directReads.sum();
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
                    f.state = ChunkFetch.RUNNING;
                    leaveQueued();
                    take = true;
                }
            }
            if (take)
            {
                complete(f, Errno.ECANCELED);
            }
        }
    }

    /** A chunk-sized direct staging buffer, owned by one fetcher or lent to one reader at a time. */
    private static final class Staging
    {
        final ByteBuffer buffer;
        final long address;
        final UnsafeBuffer source;
        final UnsafeBuffer destination = new UnsafeBuffer(0, 0);

        Staging(final int chunkSize)
        {
            this.buffer = BufferUtil.allocateDirectAligned(chunkSize, 4096);
            this.address = BufferUtil.address(buffer);
            this.source = new UnsafeBuffer(buffer);
        }

        /** Copies {@code n} staged bytes from {@code from} to native memory at {@code destAddress}. */
        void copyOut(final int from, final long destAddress, final int n)
        {
            destination.wrap(destAddress, n);
            destination.putBytes(0, source, from, n);
            destination.wrap(0, 0);
        }
    }
}
