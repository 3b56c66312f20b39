package io.fuseengine.core.read;

import io.fuseengine.core.errno.Errno;
import io.fuseengine.core.meta.MetadataException;
import io.fuseengine.core.meta.PieceMap;
import io.fuseengine.core.meta.RqbitMetadata;
import io.fuseengine.core.meta.TorrentDetails;
import io.fuseengine.core.meta.TorrentHaves;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Keeps the {@link PieceAvailability} snapshots of torrents being read fresh: one daemon thread,
 * {@code fe-pieces}, that polls only torrents with demand (a read classified other than AVAILABLE less than
 * {@code demandWindow} ago: such a read may still be waiting, its deadline is at most the read timeout away), each
 * at most every {@link #MIN_POLL_NS}, and is woken at once when a torrent without a fresh snapshot is asked about.
 * While a torrent's snapshot does not change its interval doubles up to {@link #MAX_POLL_NS} (a library scan over
 * many unfinished torrents does not flood rqbit's API); a change, or a new read once the last poll is
 * {@link #MIN_POLL_NS} old, brings it back.
 * FUSE threads and the event loop never wait on it.
 * <p>
 * A poll: once per torrent its files ({@code GET /torrents/{id}}) and exact piece length ({@code /metadata}; when
 * that is missing or broken the piece length is derived from the piece count, see {@link PieceMap}); then
 * {@code stats/v1} (state, finished, file progress) and, unless every piece is had, {@code /haves}. Every call has
 * the metadata client's deadline; a timed-out call ends the round (the other torrents wait one interval). An
 * endpoint the daemon lacks (ENOSYS: rqbit 7 has no {@code /haves} and no {@code /metadata}) is not asked again:
 * verdicts then come from {@code file_progress} alone. A failure is logged once per torrent until it succeeds
 * again; an invalid bitfield is rejected whole (never partial data).
 * <p>
 * Threads: {@link #start} and {@link #close} by the owner; the counters from any thread.
 */
public final class PieceRefresher implements AutoCloseable
{
    /** A torrent is polled at most this often. */
    public static final long MIN_POLL_NS = TimeUnit.MILLISECONDS.toNanos(500);
    /** A torrent whose snapshot stopped changing is polled less and less often, down to this interval. */
    public static final long MAX_POLL_NS = TimeUnit.SECONDS.toNanos(4);
    /** The thread looks for due torrents at least this often. */
    private static final long IDLE_PARK_NS = TimeUnit.SECONDS.toNanos(1);
    private static final Logger LOG = LoggerFactory.getLogger(PieceRefresher.class);

    private final RqbitMetadata metadata;
    private final PieceAvailability availability;
    private final long demandWindowNs;
    private final Duration joinWait;
    private final Thread thread;
    /** Refresher thread only. */
    private final Set<String> warned = new HashSet<>();
    private volatile boolean closed;
    private volatile boolean started;
    private volatile boolean havesUnsupported;
    private volatile boolean statsUnsupported;
    private volatile boolean pieceLengthUnsupported;

    private final LongAdder polls = new LongAdder();
    private final LongAdder havesFetches = new LongAdder();
    private final LongAdder havesFailures = new LongAdder();

    /**
     * @param metadata     rqbit's metadata API (the caller closes it, after this).
     * @param availability where snapshots go.
     * @param demandWindow how long after a read other than AVAILABLE its torrent is polled: the read timeout.
     * @param joinWait     how long {@link #close} waits for a poll in progress: the metadata timeout.
     */
    public PieceRefresher(
        final RqbitMetadata metadata, final PieceAvailability availability, final Duration demandWindow,
        final Duration joinWait)
    {
        this.metadata = Objects.requireNonNull(metadata, "metadata");
        this.availability = Objects.requireNonNull(availability, "availability");
        this.demandWindowNs = demandWindow.toNanos() + MIN_POLL_NS;
        this.joinWait = joinWait;
        this.thread = new Thread(this::run, "fe-pieces");
        this.thread.setDaemon(true);
    }

    /** Starts the thread and lets the availability wake it. */
    public synchronized void start()
    {
        if (started)
        {
            throw new IllegalStateException("already started");
        }
        started = true;
        final Thread t = thread;
        availability.wakeUp(() -> LockSupport.unpark(t));
        t.start();
    }

    private void run()
    {
        while (!closed)
        {
            long sleep = IDLE_PARK_NS;
            try
            {
                sleep = round();
            }
            catch (final Throwable t)
            {
                LOG.error("piece availability refresh failed unexpectedly", t);
            }
            if (!closed)
            {
                LockSupport.parkNanos(this, sleep);
            }
        }
    }

    /** @return how long to sleep before the next round. */
    private long round()
    {
        long sleep = IDLE_PARK_NS;
        long now = System.nanoTime();
        for (final PieceAvailability.Torrent t : availability.torrents())
        {
            if (closed)
            {
                break;
            }
            if (!t.demandedWithin(now, demandWindowNs))
            {
                t.wakePending = false;
                continue;
            }
            if (t.polled)
            {
                final long wait = t.polledAt + (t.wakePending ? MIN_POLL_NS : t.pollIntervalNs) - now;
                if (wait > 0)
                {
                    sleep = Math.min(sleep, wait);
                    continue;
                }
            }
            final boolean goOn = poll(t);
            now = System.nanoTime();
            sleep = Math.min(sleep, MIN_POLL_NS);
            if (!goOn)
            {
                break;
            }
        }
        return Math.max(sleep, TimeUnit.MILLISECONDS.toNanos(1));
    }

    /**
     * Refresher thread: one poll of one torrent.
     *
     * @return false if a call timed out (the round ends).
     */
    private boolean poll(final PieceAvailability.Torrent t)
    {
        final String hash = t.infoHash;
        t.polledAt = System.nanoTime();
        t.polled = true;
        t.wakePending = false;
        polls.increment();
        final PieceMap before = t.map;
        try
        {
            if (!t.map.hasGeometry() && !resolveGeometry(hash))
            {
                return true;
            }
            if (!statsUnsupported)
            {
                final long at = System.nanoTime();
                try
                {
                    availability.updateProgress(hash, metadata.progress(hash), at);
                }
                catch (final MetadataException ex)
                {
                    if (ex.errno() != Errno.ENOSYS)
                    {
                        throw ex;
                    }
                    statsUnsupported = true;
                    LOG.info("rqbit metadata client has no stats: piece awareness uses the bitfield alone");
                }
            }
            final PieceMap m = t.map;
            final boolean bitsOk = havesUnsupported || !m.hasGeometry() || m.complete() || fetchHaves(hash);
            t.pollIntervalNs = t.map.sameContent(before)
                ? Math.min(MAX_POLL_NS, t.pollIntervalNs * 2) : MIN_POLL_NS;
            if (bitsOk && warned.remove(hash))
            {
                LOG.info("piece availability of torrent {} is known again", hash);
            }
            return true;
        }
        catch (final MetadataException ex)
        {
            if (ex.errno() == Errno.ENOENT)
            {
                LOG.debug("piece availability of torrent {}: rqbit no longer knows it", hash);
                return true;
            }
            warnOnce(hash, Errno.name(ex.errno()) + ": " + ex.getMessage());
            return ex.errno() != Errno.ETIMEDOUT;
        }
        catch (final RuntimeException ex)
        {
            warnOnce(hash, ex.toString());
            return true;
        }
    }

    /** @return false if the bitfield was rejected. */
    private boolean fetchHaves(final String hash) throws MetadataException
    {
        final long at = System.nanoTime();
        final TorrentHaves haves;
        try
        {
            haves = metadata.haves(hash);
        }
        catch (final MetadataException ex)
        {
            if (ex.errno() == Errno.ENOSYS)
            {
                havesUnsupported = true;
                LOG.info("rqbit has no piece bitfield (/haves; rqbit 7): piece awareness falls back to per-file "
                    + "progress ({})", ex.getMessage());
                return true;
            }
            havesFetches.increment();
            havesFailures.increment();
            throw ex;
        }
        havesFetches.increment();
        try
        {
            availability.updateBits(hash, haves, at);
            return true;
        }
        catch (final IllegalArgumentException ex)
        {
            havesFailures.increment();
            warnOnce(hash, "rejected its bitfield: " + ex.getMessage());
            return false;
        }
    }

    /**
     * Files, then the exact piece length where the daemon tells it.
     *
     * @return false if the torrent has no files yet (a magnet still resolving): ask again next poll.
     */
    private boolean resolveGeometry(final String hash) throws MetadataException
    {
        final TorrentDetails details = metadata.torrentDetails(hash);
        if (details.files().isEmpty())
        {
            return false;
        }
        long exact = 0;
        if (!pieceLengthUnsupported)
        {
            try
            {
                exact = metadata.pieceLength(hash);
            }
            catch (final MetadataException ex)
            {
                if (ex.errno() == Errno.ENOENT || ex.errno() == Errno.ETIMEDOUT)
                {
                    throw ex; // gone, or slow: the whole layout is asked again next poll
                }
                if (ex.errno() == Errno.ENOSYS)
                {
                    pieceLengthUnsupported = true;
                    LOG.info("rqbit does not serve torrent metadata (/metadata): piece lengths are derived from piece "
                        + "counts ({})", ex.getMessage());
                }
                else
                {
                    LOG.warn("torrent {}: no piece length from rqbit's metadata ({}: {}); deriving it from its piece "
                        + "count", hash, Errno.name(ex.errno()), ex.getMessage());
                }
            }
        }
        try
        {
            availability.updateGeometry(hash, details, exact);
        }
        catch (final IllegalArgumentException ex)
        {
            LOG.warn("torrent {}: inconsistent layout ({}); deriving its piece length from its piece count instead",
                hash, ex.getMessage());
            availability.updateGeometry(hash, details, 0);
        }
        return true;
    }

    private void warnOnce(final String hash, final String what)
    {
        if (warned.add(hash))
        {
            LOG.warn("cannot refresh piece availability of torrent {}: {}; its reads are admitted as unknown until "
                + "it answers", hash, what);
        }
        else
        {
            LOG.debug("cannot refresh piece availability of torrent {}: {}", hash, what);
        }
    }

    /** @return torrent polls so far. */
    public long polls()
    {
        return polls.sum();
    }

    /** @return {@code /haves} requests answered or failed (not counting ones skipped as unsupported). */
    public long havesFetches()
    {
        return havesFetches.sum();
    }

    /** @return {@code /haves} requests that failed or whose bitfield was rejected. */
    public long havesFailures()
    {
        return havesFailures.sum();
    }

    /** @return true once the daemon was found to have no {@code /haves} (rqbit 7). */
    public boolean havesUnsupported()
    {
        return havesUnsupported;
    }

    /**
     * Stops the thread, waiting (bounded by the metadata timeout + 1 s) for a poll in progress. Does not close the
     * metadata client. Idempotent.
     */
    @Override
    public void close()
    {
        closed = true;
        availability.wakeUp(null);
        if (!started || thread == Thread.currentThread())
        {
            return;
        }
        LockSupport.unpark(thread);
        try
        {
            thread.join(joinWait.toMillis() + 1000);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive())
        {
            LOG.warn("piece refresher still busy after close; leaving the daemon thread to finish");
        }
    }
}
