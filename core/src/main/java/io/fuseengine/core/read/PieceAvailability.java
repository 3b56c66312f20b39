package io.fuseengine.core.read;

import io.fuseengine.core.meta.PieceMap;
import io.fuseengine.core.meta.TorrentDetails;
import io.fuseengine.core.meta.TorrentHaves;
import io.fuseengine.core.meta.TorrentProgress;

import java.util.Collection;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * Which pieces rqbit has, per torrent: the latest {@link PieceMap} of every torrent the engine reads or lists, and
 * the one allocation-free question the data path asks of it, {@link #classify}. Snapshots come from the
 * {@link PieceRefresher} (stats and bitfield of torrents with waiting reads, every {@link PieceRefresher#MIN_POLL_NS})
 * and from the catalog's stats round ({@link #updateProgress}).
 * <p>
 * Uses: the HTTP transport classifies every request when it arrives and again when a snapshot changes (see
 * {@link #addListener}): reads of pieces rqbit has go first and always find a connection, reads of a paused
 * torrent's missing pieces fail at once. Read-ahead may ask {@link #classify} or {@link #availableBytes} before it
 * queues a chunk, so it does not queue far ahead of what the swarm delivers.
 * <p>
 * A verdict other than AVAILABLE records demand for the torrent: the refresher keeps polling a torrent while reads
 * of it may still wait (for {@code demandWindow}), and is woken at once when a torrent without a fresh snapshot is
 * asked about.
 * <p>
 * Threads: {@link #classify}, {@link #availableBytes} and the counters from any thread (allocation-free once the
 * torrent is known: the first question about a torrent creates its entry); updates from the refresher and catalog
 * threads (serialised per torrent); listeners run on the updating thread and must be quick and non-blocking.
 */
public final class PieceAvailability
{
    /** Every piece of the range is had. */
    public static final int AVAILABLE = PieceMap.AVAILABLE;
    /** Some piece of the range is not had (yet): the read waits for the swarm. */
    public static final int MISSING = PieceMap.MISSING;
    /** Some piece of the range is not had and rqbit has the torrent paused: it will never arrive. */
    public static final int PAUSED = PieceMap.PAUSED;
    /** Nothing known (no snapshot yet, rqbit without the endpoints, stale). */
    public static final int UNKNOWN = PieceMap.UNKNOWN;

    /** At most one "torrent is paused" warning per torrent per this long. */
    static final long PAUSED_WARNING_EVERY_NS = TimeUnit.SECONDS.toNanos(10);

    private static final Function<String, Torrent> NEW_TORRENT = Torrent::new;

    private final ConcurrentHashMap<String, Torrent> torrents = new ConcurrentHashMap<>();
    private final CopyOnWriteArrayList<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final long minPollNs;
    private volatile Runnable wakeUp;

    private final LongAdder readsAvailable = new LongAdder();
    private final LongAdder readsMissing = new LongAdder();
    private final LongAdder readsUnknown = new LongAdder();
    private final LongAdder pausedFailures = new LongAdder();

    /** With the refresher's default poll interval. */
    public PieceAvailability()
    {
        this(PieceRefresher.MIN_POLL_NS);
    }

    /**
     * @param minPollNs a torrent polled less than this long ago does not wake the refresher.
     */
    PieceAvailability(final long minPollNs)
    {
        this.minPollNs = minPollNs;
    }

    // ---------------------------------------------------------------------------------------------- data path

    /**
     * Any thread: classifies bytes {@code [offset, offset + length)} of {@code target}. Allocation-free once the
     * torrent has an entry. A verdict other than {@link #AVAILABLE} records demand (the refresher keeps this
     * torrent's snapshot fresh) and wakes the refresher if the snapshot is due. Counts nothing: callers that admit
     * reads count them with {@link #recordAdmission}.
     *
     * @return {@link #AVAILABLE}, {@link #MISSING}, {@link #PAUSED} or {@link #UNKNOWN}.
     */
    public int classify(final StreamTarget target, final long offset, final long length)
    {
        final Torrent t = torrent(target.infoHash());
        final long now = System.nanoTime();
        final int verdict = t.map.classify(target.fileIndex(), target.length(), offset, length, now);
        if (verdict != AVAILABLE)
        {
            demand(t, now);
        }
        return verdict;
    }

    /**
     * Any thread: how many bytes of {@code target} from {@code offset} on are known to be had without a gap (0 when
     * nothing is known), at most {@code maxLength}: how far read-ahead can fetch without waiting for the swarm.
     * Allocation-free once the torrent has an entry; records demand when less than asked is known to be there.
     */
    public long availableBytes(final StreamTarget target, final long offset, final long maxLength)
    {
        final Torrent t = torrent(target.infoHash());
        final long now = System.nanoTime();
        final long n = t.map.availableBytes(target.fileIndex(), target.length(), offset, maxLength);
        if (n < Math.min(maxLength, target.length() - offset))
        {
            demand(t, now);
        }
        return n;
    }

    /**
     * Counts one read admitted with {@code verdict} (the transport calls it once per request). Allocation-free.
     */
    public void recordAdmission(final int verdict)
    {
        switch (verdict)
        {
            case AVAILABLE:
                readsAvailable.increment();
                break;
            case MISSING:
            case PAUSED:
                readsMissing.increment();
                break;
            default:
                readsUnknown.increment();
                break;
        }
    }

    /**
     * Counts a read failed at once because its torrent is paused.
     *
     * @return true if the caller should log the one WARN line about this torrent being paused (at most once per
     * torrent per 10 s).
     */
    public boolean recordPausedFailure(final StreamTarget target)
    {
        pausedFailures.increment();
        final Torrent t = torrent(target.infoHash());
        final long now = System.nanoTime();
        final long last = t.pausedWarnedAt.get();
        return (last == 0 || now - last >= PAUSED_WARNING_EVERY_NS) && t.pausedWarnedAt.compareAndSet(last, now | 1);
    }

    private Torrent torrent(final String infoHash)
    {
        final Torrent t = torrents.get(infoHash);
        return t != null ? t : torrents.computeIfAbsent(infoHash, NEW_TORRENT);
    }

    private void demand(final Torrent t, final long now)
    {
        t.demandAt = now;
        t.demanded = true;
        if (!t.wakePending && (!t.polled || now - t.polledAt >= minPollNs))
        {
            t.wakePending = true;
            final Runnable w = wakeUp;
            if (w != null)
            {
                w.run();
            }
        }
    }

    // -------------------------------------------------------------------------------------------------- updates

    /**
     * Catalog or refresher: the torrent's latest stats (state, finished, per-file progress).
     *
     * @param atNanos {@link System#nanoTime()} when the stats request was started (older stats than held are
     *                ignored).
     */
    public void updateProgress(final String infoHash, final TorrentProgress progress, final long atNanos)
    {
        update(torrent(infoHash), m -> m.withStats(progress, atNanos));
    }

    /**
     * Refresher: the torrent's files and, when known, its exact piece length.
     *
     * @throws IllegalArgumentException if they contradict each other (nothing is changed).
     */
    void updateGeometry(final String infoHash, final TorrentDetails details, final long exactPieceLength)
    {
        update(torrent(infoHash), m -> m.withGeometry(details, exactPieceLength));
    }

    /**
     * Refresher: the torrent's latest bitfield.
     *
     * @throws IllegalArgumentException if it does not fit the torrent (nothing is changed).
     */
    void updateBits(final String infoHash, final TorrentHaves haves, final long atNanos)
    {
        update(torrent(infoHash), m -> m.withBits(haves, atNanos));
    }

    private void update(final Torrent t, final java.util.function.UnaryOperator<PieceMap> change)
    {
        final boolean changed;
        synchronized (t)
        {
            final PieceMap before = t.map;
            final PieceMap after = change.apply(before);
            t.map = after;
            // a paused torrent's verdicts also change with the age of its evidence (MISSING becomes PAUSED once a
            // bitfield taken while paused arrives, even an identical one): tell listeners after every update of it
            changed = after != before && (!after.sameContent(before) || after.state() == PieceMap.STATE_PAUSED);
        }
        if (changed)
        {
            for (final Runnable l : listeners)
            {
                l.run();
            }
        }
    }

    /**
     * Catalog: the torrent left rqbit; its entry goes (a torrent added again starts afresh).
     */
    public void forget(final String infoHash)
    {
        torrents.remove(infoHash);
    }

    // ------------------------------------------------------------------------------------ listeners, refresher

    /**
     * Registers {@code listener}, run (on the updating thread) after a torrent's snapshot changed in content: a
     * verdict may have changed. It must be quick and must not block (e.g. schedule work on an event loop).
     */
    public void addListener(final Runnable listener)
    {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    public void removeListener(final Runnable listener)
    {
        listeners.remove(listener);
    }

    /** Refresher: how to wake it (allocation-free, non-blocking), or null. */
    void wakeUp(final Runnable wakeUp)
    {
        this.wakeUp = wakeUp;
    }

    /** Refresher: every torrent with an entry (weakly consistent view). */
    Collection<Torrent> torrents()
    {
        return torrents.values();
    }

    /**
     * Any thread.
     *
     * @return the torrent's latest snapshot, or null if it has no entry.
     */
    public PieceMap snapshot(final String infoHash)
    {
        final Torrent t = torrents.get(infoHash);
        return t == null ? null : t.map;
    }

    // -------------------------------------------------------------------------------------------------- counters

    /** @return reads admitted knowing every piece of their range is had. */
    public long readsAvailable()
    {
        return readsAvailable.sum();
    }

    /** @return reads admitted knowing some piece of their range is missing (paused fast-fails included). */
    public long readsMissing()
    {
        return readsMissing.sum();
    }

    /** @return reads admitted without knowing. */
    public long readsUnknown()
    {
        return readsUnknown.sum();
    }

    /** @return reads failed at once (EAGAIN) because their torrent is paused and lacks a piece of their range. */
    public long pausedFailures()
    {
        return pausedFailures.sum();
    }

    /** @return torrents with an entry. */
    public int torrentCount()
    {
        return torrents.size();
    }

    @Override
    public String toString()
    {
        return "PieceAvailability[" + torrents.size() + " torrents]";
    }

    /**
     * One torrent's entry. {@link #map} is replaced under the entry's monitor and read without it; the demand and
     * poll fields are plain volatile hints (a lost race costs at most one extra or one late poll).
     */
    static final class Torrent
    {
        final String infoHash;
        volatile PieceMap map = PieceMap.empty();
        /** {@link System#nanoTime()} of the last verdict other than AVAILABLE (valid once {@link #demanded}). */
        volatile long demandAt;
        volatile boolean demanded;
        /** A wake-up was sent for this torrent and it has not been polled since. */
        volatile boolean wakePending;
        /** {@link System#nanoTime()} of the last poll start (valid once {@link #polled}). */
        volatile long polledAt;
        volatile boolean polled;
        /** The refresher's current interval for this torrent (refresher thread only). */
        long pollIntervalNs = PieceRefresher.MIN_POLL_NS;
        /** {@link System#nanoTime()} | 1 of the last "paused" WARN, 0 for never. */
        final AtomicLong pausedWarnedAt = new AtomicLong();

        Torrent(final String infoHash)
        {
            this.infoHash = infoHash;
        }

        /** @return true if a verdict other than AVAILABLE was given less than {@code windowNs} ago. */
        boolean demandedWithin(final long now, final long windowNs)
        {
            return demanded && now - demandAt < windowNs;
        }
    }
}
