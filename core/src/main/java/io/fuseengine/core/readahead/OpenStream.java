package io.fuseengine.core.readahead;

import io.fuseengine.core.cache.CacheFileIdentity;
import io.fuseengine.core.read.StreamTarget;

/**
 * The read-ahead state of one open file handle: its file, its pre-built cache identity, and its sequential
 * detector and read-ahead window. Created by {@link StreamingReader#open}, ended by {@link StreamingReader#close(OpenStream)}.
 * <p>
 * Threads: the kernel sends one handle's reads from several FUSE threads at once (async read-ahead, out of order);
 * the detector's state is guarded by this object's monitor, held only for a few arithmetic steps per read.
 *
 * <h2>Sequential detection</h2>
 * A read that starts at most {@code sequentialSlack} (1 MiB) past the furthest end read so far (once the read-ahead
 * window is open, {@link #AHEAD_SLACK_FACTOR} × that), or at most {@link #LAGGING_SLACK_FACTOR} × that behind it, is
 * sequential, so the kernel's reordered concurrent reads still count. Ahead: the kernel sends its read-ahead window's
 * reads (up to read_ahead_kb, 4 MiB when raised, in 1 MiB reads) from several FUSE threads at once, and on a busy
 * machine a descheduled thread delivers its read after later ones (with a 1 MiB forward slack, two late reads in a row
 * made a seek: on 2 loaded cores a 64 MiB sequential read fetched up to 100 MiB, mostly as direct reads). A forward
 * skip that short lands inside our read-ahead window anyway. Before the window opens the slack stays 1 MiB, so a
 * scanner's jump from a small file's header to its index is still a seek, not the start of a read-ahead. Behind: reads
 * lag further behind than they run ahead: with a raised {@code read_ahead_kb} the kernel keeps a sync and
 * an async read-ahead window of that size in flight, and a read from the start of the older window arrives after
 * reads near the end of the newer one (measured with read_ahead_kb=1024 and a 1 MiB symmetric slack: every such lag
 * was taken for a seek, cancelling read-ahead, and a 1 GiB cold read fetched 2.1–2.3 GiB). After {@code sequentialReads} consecutive sequential reads that
 * count (for a media-probe stream, reads in the head and tail chunks do not count: a scanner reading the header and
 * index must not open a window), the window opens at 1 chunk ahead and doubles each time the reader enters a new
 * chunk, up to read-ahead-max. Any other read is a seek: the window closes and the stream's queued and in-flight
 * read-ahead is cancelled.
 * <p>
 * Until the window opens, a miss is served by a direct read of its own range, except at offset 0 and in a probe
 * stream's head and tail chunks, where the whole chunk is fetched. The chunks those direct reads touched stay
 * <em>direct</em> for the rest of the run: fetching one whole when the window opens would fetch again the bytes the
 * reader already has (up to {@code sequentialReads - 1} reads' worth, 2 MiB with 1 MiB FUSE reads, on every seek),
 * so its remaining misses are direct reads too, and read-ahead starts after the last of them.
 */
public final class OpenStream
{
    /** {@link #observe} result bits: serve a miss by fetching its whole chunk (policy a), not a direct read. */
    static final long USE_CHUNK_FETCH = 1;
    /** {@link #observe} result bits: this read was a seek; cancel the stream's read-ahead. */
    static final long SEEK = 2;
    /** How many {@code sequentialSlack}s a read may start past the furthest end and still be sequential, once the window is open. */
    static final int AHEAD_SLACK_FACTOR = 4;
    /** How many {@code sequentialSlack}s a read may start behind the furthest end and still be sequential. */
    static final int LAGGING_SLACK_FACTOR = 8;
    private static final int COUNT_SHIFT = 2;
    private static final int COUNT_BITS = 14;
    private static final long COUNT_MASK = (1L << COUNT_BITS) - 1;
    private static final int FROM_SHIFT = COUNT_SHIFT + COUNT_BITS;
    /** Largest window the result encoding carries, in chunks. */
    static final int MAX_WINDOW_CHUNKS = (int)COUNT_MASK;

    private final StreamTarget target;
    private final CacheFileIdentity file;
    private final boolean mediaProbe;
    private final int chunkShift;
    private final long lastChunk;
    /** First chunk of the media-probe tail region (the chunks holding the file's last 64 KiB). */
    private final long tailFromChunk;
    private final int sequentialReads;
    private final long sequentialSlack;
    private final int maxWindowChunks;

    // guarded by this
    private long furthestEnd;
    private int streak;
    private int windowChunks;
    private long readerChunk = -1;
    private long readAheadNext = -1;
    /** First and last chunk the direct reads of this run touched (-1: none); see the class comment. */
    private long directFromChunk = -1;
    private long directToChunk = -1;
    private boolean closed;
    /** Chunks this stream's read-ahead made resident that its reader has not reached yet (for the waste counter). */
    private final long[] unread;
    private int unreadCount;

    OpenStream(
        final StreamTarget target,
        final CacheFileIdentity file,
        final boolean mediaProbe,
        final int chunkShift,
        final long probeTailBytes,
        final int sequentialReads,
        final long sequentialSlack,
        final int maxWindowChunks)
    {
        this.target = target;
        this.file = file;
        this.mediaProbe = mediaProbe;
        this.chunkShift = chunkShift;
        final long length = target.length();
        this.lastChunk = length == 0 ? 0 : (length - 1) >>> chunkShift;
        this.tailFromChunk = Math.max(0, length - probeTailBytes) >>> chunkShift;
        this.sequentialReads = sequentialReads;
        this.sequentialSlack = sequentialSlack;
        this.maxWindowChunks = Math.min(maxWindowChunks, MAX_WINDOW_CHUNKS);
        this.unread = new long[Math.max(1, Math.min(2 * this.maxWindowChunks, 1024))];
    }

    public StreamTarget target()
    {
        return target;
    }

    public CacheFileIdentity file()
    {
        return file;
    }

    public boolean mediaProbe()
    {
        return mediaProbe;
    }

    long lastChunk()
    {
        return lastChunk;
    }

    long tailFromChunk()
    {
        return tailFromChunk;
    }

    /** @return true if {@code chunk} is one of this media-probe stream's head or tail chunks. */
    boolean isProbeChunk(final long chunk)
    {
        return mediaProbe && (chunk == 0 || chunk >= tailFromChunk);
    }

    /** @return the current read-ahead window in chunks (0: closed). */
    public synchronized int windowChunks()
    {
        return windowChunks;
    }

    /** The chunk the sequential reader is in (-1 while no window is open). */
    synchronized long readerChunk()
    {
        return readerChunk;
    }

    synchronized boolean isClosed()
    {
        return closed;
    }

    /**
     * FUSE thread, before serving a read of {@code [offset, offset + length)} (already clamped to the file): feeds
     * the detector and advances the window. Allocation-free.
     *
     * @return {@link #USE_CHUNK_FETCH} / {@link #SEEK} bits, plus the chunks to read ahead now
     * ({@link #readAheadFrom}, {@link #readAheadCount}); the caller issues them and reports any it could not with
     * {@link #readAheadStalled}.
     */
    synchronized long observe(final long offset, final int length)
    {
        final long chunk = offset >>> chunkShift;
        final long end = offset + length;
        // a read at the start of the file is served by fetching the whole first chunk, not just its range: it is how
        // every sequential read begins, and with 1 MiB FUSE reads the direct reads before the stream counts as
        // sequential would otherwise be fetched a second time with that chunk (up to 3 MiB per file)
        final boolean probeChunk = isProbeChunk(chunk);
        final long wholeChunk = probeChunk || offset == 0 ? USE_CHUNK_FETCH : 0;
        if (closed)
        {
            return wholeChunk;
        }
        final long aheadSlack = windowChunks > 0 ? sequentialSlack * AHEAD_SLACK_FACTOR : sequentialSlack;
        if (offset - furthestEnd > aheadSlack || furthestEnd - offset > sequentialSlack * LAGGING_SLACK_FACTOR)
        {
            final boolean hadReadAhead = readAheadNext >= 0;
            furthestEnd = end;
            streak = probeChunk ? 0 : 1;
            windowChunks = 0;
            readerChunk = -1;
            readAheadNext = -1;
            unreadCount = 0;
            directFromChunk = -1;
            directToChunk = -1;
            if (wholeChunk == 0)
            {
                noteDirect(chunk, end);
            }
            return (hadReadAhead ? SEEK : 0) | wholeChunk;
        }
        if (end > furthestEnd)
        {
            furthestEnd = end;
        }
        if (!probeChunk && streak < sequentialReads)
        {
            streak++;
        }
        if (streak < sequentialReads || maxWindowChunks == 0)
        {
            if (wholeChunk == 0)
            {
                noteDirect(chunk, end);
            }
            return wholeChunk;
        }
        final long fetchWhole = !probeChunk && chunk >= directFromChunk && chunk <= directToChunk ? 0 : USE_CHUNK_FETCH;
        if (windowChunks == 0)
        {
            windowChunks = 1;
            readerChunk = chunk;
            readAheadNext = Math.max(chunk, directToChunk) + 1;
        }
        else if (chunk > readerChunk)
        {
            readerChunk = chunk;
            windowChunks = Math.min(windowChunks * 2, maxWindowChunks);
            dropUnreadBelow(chunk);
        }
        final long from = Math.max(readAheadNext, readerChunk + 1);
        final long to = Math.min(readerChunk + windowChunks, lastChunk);
        if (from > to)
        {
            return fetchWhole;
        }
        readAheadNext = to + 1;
        return fetchWhole | (from << FROM_SHIFT) | ((to - from + 1) << COUNT_SHIFT);
    }

    private void noteDirect(final long chunk, final long end)
    {
        if (directFromChunk < 0)
        {
            directFromChunk = chunk;
        }
        directToChunk = Math.max(directToChunk, (end - 1) >>> chunkShift);
    }

    static long readAheadFrom(final long observed)
    {
        return observed >>> FROM_SHIFT;
    }

    static int readAheadCount(final long observed)
    {
        return (int)((observed >>> COUNT_SHIFT) & COUNT_MASK);
    }

    /**
     * Read-ahead could not issue {@code chunk} (no free fetch record): let a later read try again from there.
     */
    synchronized void readAheadStalled(final long chunk)
    {
        if (readAheadNext > chunk)
        {
            readAheadNext = chunk;
        }
    }

    /** Fetcher: this stream's read-ahead made {@code chunk} resident. */
    synchronized void noteReadAheadResident(final long chunk)
    {
        if (closed || readAheadNext < 0 || chunk <= readerChunk)
        {
            return;
        }
        if (unreadCount == unread.length)
        {
            System.arraycopy(unread, 1, unread, 0, unreadCount - 1);
            unreadCount--;
        }
        unread[unreadCount++] = chunk;
    }

    /**
     * FUSE thread, after a miss on {@code chunk}: was it made resident by this stream's read-ahead and evicted
     * before the reader got to it?
     */
    synchronized boolean evictedBeforeRead(final long chunk)
    {
        for (int i = 0; i < unreadCount; i++)
        {
            if (unread[i] == chunk)
            {
                unread[i] = unread[--unreadCount];
                return true;
            }
        }
        return false;
    }

    private void dropUnreadBelow(final long chunk)
    {
        int kept = 0;
        for (int i = 0; i < unreadCount; i++)
        {
            if (unread[i] >= chunk)
            {
                unread[kept++] = unread[i];
            }
        }
        unreadCount = kept;
    }

    /** @return true the first time: the stream is closed now and issues no more read-ahead. */
    synchronized boolean markClosed()
    {
        if (closed)
        {
            return false;
        }
        closed = true;
        windowChunks = 0;
        readAheadNext = -1;
        unreadCount = 0;
        return true;
    }

    @Override
    public String toString()
    {
        return "OpenStream{" + target + (mediaProbe ? ", probe" : "") + '}';
    }
}
