package io.fuseengine.fuse.catalog;

import io.fuseengine.core.errno.Errno;
import io.fuseengine.core.meta.MetadataException;
import io.fuseengine.core.meta.RqbitMetadata;
import io.fuseengine.core.meta.TorrentDetails;
import io.fuseengine.core.meta.TorrentProgress;
import io.fuseengine.core.meta.TorrentSummary;
import io.fuseengine.core.read.PieceAvailability;
import io.fuseengine.core.read.StreamTarget;
import io.fuseengine.fuse.fs.TorrentControl;
import io.fuseengine.fuse.tree.FsTree;
import io.fuseengine.fuse.tree.InodeRegistry;
import io.fuseengine.fuse.tree.TorrentLayout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * Keeps an immutable {@link FsTree} of rqbit's torrents up to date, in the background.
 * <p>
 * Every refresh lists the torrents; the details of a torrent are fetched once per new info hash (they never change
 * for an info hash) and turned into a {@link TorrentLayout}, cached until the torrent leaves the list. When the set
 * of torrents changed, a new snapshot is built and swapped into a volatile field.
 * <p>
 * When rqbit is unreachable the catalog keeps serving the last known tree (empty if it never reached rqbit), logs
 * one WARN per outage and one INFO when rqbit is back.
 *
 * <h2>Progress</h2>
 * Every refresh also asks {@code stats/v1} of every unfinished torrent (of a finished one every
 * {@link #FINISHED_STATS_EVERY}th refresh) and publishes {@link TorrentStatus} (rqbit id, last progress) per info
 * hash in a volatile immutable map. A failed stats call keeps the last known progress (one WARN per torrent until
 * it answers again); after a timed-out one the rest of that round is skipped, so a slow daemon delays a refresh by
 * one metadata timeout at most; a client without stats (ENOSYS) is not asked again. With a
 * {@link #pieceAvailability piece availability} every stats answer also goes there (state, finished, per-file
 * progress: finished files are known available before the first read), and a torrent that leaves is forgotten
 * there too.
 *
 * <h2>Removal</h2>
 * {@link #remove} (a FUSE {@code rmdir}/{@code unlink}) asks rqbit to forget the torrent, then publishes a tree
 * without it at once and wakes the refresher. A list that was requested before the forget completed may still name
 * the torrent: such a list does not bring it back (a list requested afterwards is believed again, so a torrent
 * added anew reappears).
 * <p>
 * Threads: the refresher is one daemon thread, {@code fe-catalog}. FUSE threads call {@link #tree()},
 * {@link #torrentId} and {@link #progress}, volatile reads that never wait on the network or on a refresh, and
 * {@link #remove}, which waits on rqbit (bounded by the metadata client's deadline) but never on a refresh: tree
 * publication is serialised by a short monitor of its own. {@link #refreshNow} (tests, CLI) runs a refresh on the
 * caller's thread, serialised with the refresher by a lock.
 */
public final class TorrentCatalog implements AutoCloseable, TorrentControl
{
    private static final Logger LOG = LoggerFactory.getLogger(TorrentCatalog.class);
    /** A finished torrent's stats are asked every this many refreshes (unfinished ones: every refresh). */
    static final int FINISHED_STATS_EVERY = 12;

    private final RqbitMetadata metadata;
    private final long refreshIntervalNs;
    private final Duration initialWait;
    private final FirstSeenStore firstSeen;
    private final LongSupplier clockMillis;
    private final long startSeconds;

    /** Guards everything below it that is not volatile. */
    private final ReentrantLock refreshLock = new ReentrantLock();
    private final InodeRegistry inodes = new InodeRegistry();
    private final Map<String, TorrentLayout> layouts = new HashMap<>();
    private final Set<String> warned = new HashSet<>();
    private final Set<String> statsWarned = new HashSet<>();
    private boolean published;
    private boolean statsUnsupported;

    /** Serialises tree publication between the refresher and {@link #remove}; held only to build and swap. */
    private final Object publishLock = new Object();
    private final AtomicLong generation = new AtomicLong();
    /** Info hash → {@link System#nanoTime()} when rqbit acknowledged forgetting it. */
    private final ConcurrentHashMap<String, Long> forgottenAt = new ConcurrentHashMap<>();
    private final AtomicLong removals = new AtomicLong();
    private volatile Map<String, TorrentStatus> statuses = Map.of();
    private volatile boolean wakeUp;
    private volatile PieceAvailability availability;

    private final Object sleeper = new Object();
    private final CountDownLatch firstRefresh = new CountDownLatch(1);
    private final AtomicLong refreshes = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private volatile FsTree tree;
    private volatile boolean outage;
    private volatile boolean closed;
    private Thread thread;

    /**
     * @param metadata        rqbit's metadata API (every call has its own deadline).
     * @param refreshInterval time between refreshes.
     * @param initialWait     how long {@link #start()} waits for the first refresh before mounting without it.
     * @param firstSeen       first-seen times (entry mtimes).
     */
    public TorrentCatalog(
        final RqbitMetadata metadata, final Duration refreshInterval, final Duration initialWait, final FirstSeenStore firstSeen)
    {
        this(metadata, refreshInterval, initialWait, firstSeen, System::currentTimeMillis);
    }

    TorrentCatalog(
        final RqbitMetadata metadata,
        final Duration refreshInterval,
        final Duration initialWait,
        final FirstSeenStore firstSeen,
        final LongSupplier clockMillis)
    {
        this.metadata = Objects.requireNonNull(metadata, "metadata");
        this.refreshIntervalNs = refreshInterval.toNanos();
        this.initialWait = initialWait;
        this.firstSeen = Objects.requireNonNull(firstSeen, "firstSeen");
        this.clockMillis = clockMillis;
        this.startSeconds = clockMillis.getAsLong() / 1000;
        this.tree = FsTree.empty(startSeconds);
        if (refreshIntervalNs <= 0)
        {
            throw new IllegalArgumentException("refreshInterval must be positive");
        }
    }

    /**
     * Before {@link #start}: where stats answers go besides the mount's own progress (null: nowhere).
     */
    public void pieceAvailability(final PieceAvailability availability)
    {
        this.availability = availability;
    }

    /**
     * Starts the refresher and waits (at most {@code initialWait}) for its first refresh, so a mount normally
     * starts with the torrents already listed. If rqbit is down or slow the mount starts empty and fills in later.
     */
    public synchronized void start()
    {
        if (thread != null)
        {
            throw new IllegalStateException("already started");
        }
        thread = new Thread(this::run, "fe-catalog");
        thread.setDaemon(true);
        thread.start();
        try
        {
            if (!firstRefresh.await(initialWait.toNanos(), TimeUnit.NANOSECONDS))
            {
                LOG.warn("first torrent list from rqbit not ready after {} ms; starting with an empty tree", initialWait.toMillis());
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * FUSE threads: the current snapshot. Never blocks.
     */
    public FsTree tree()
    {
        return tree;
    }

    /**
     * @return false while rqbit's metadata API is failing (the tree is then the last known one).
     */
    public boolean backendReachable()
    {
        return !outage;
    }

    public long refreshCount()
    {
        return refreshes.get();
    }

    public long failureCount()
    {
        return failures.get();
    }

    /** @return torrents removed through {@link #remove}. */
    public long removalCount()
    {
        return removals.get();
    }

    /**
     * Any thread, never blocks.
     *
     * @return what the catalog last learnt about the torrent (id, progress), or null if it is not listed.
     */
    public TorrentStatus status(final String infoHash)
    {
        return statuses.get(infoHash);
    }

    @Override
    public long torrentId(final String infoHash)
    {
        final TorrentStatus s = statuses.get(infoHash);
        return s == null ? -1 : s.id();
    }

    @Override
    public TorrentProgress progress(final String infoHash)
    {
        final TorrentStatus s = statuses.get(infoHash);
        return s == null ? null : s.progress();
    }

    /**
     * FUSE thread ({@code rmdir}/{@code unlink} of a torrent's top-level entry): makes rqbit forget the torrent,
     * keeping its files, then publishes a tree without it and wakes the refresher. Waits on rqbit for at most the
     * metadata client's deadline, never on a refresh in progress.
     *
     * @return 0 when rqbit forgot the torrent (or no longer knew it); else the failure's errno, the tree unchanged.
     */
    @Override
    public int remove(final String infoHash, final String name)
    {
        final boolean known;
        try
        {
            known = metadata.forget(infoHash);
        }
        catch (final MetadataException ex)
        {
            final int errno = ex.errno() == Errno.ENOSYS ? Errno.EROFS : ex.errno();
            LOG.warn("removal of torrent {} ({}) failed: rqbit did not forget it: {}: {}", name, infoHash,
                Errno.name(errno), ex.getMessage());
            return errno;
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("removal of torrent {} ({}) failed: {}: {}", name, infoHash, Errno.name(Errno.EIO), ex.toString());
            return Errno.EIO;
        }
        forgottenAt.put(infoHash, System.nanoTime());
        final PieceAvailability pieces = availability;
        if (pieces != null)
        {
            pieces.forget(infoHash);
        }
        synchronized (publishLock)
        {
            tree = tree.without(infoHash, startSeconds, generation.incrementAndGet());
        }
        removals.incrementAndGet();
        LOG.info("removed torrent {} ({}) through the mount: rqbit {}; its files stay on disk", name, infoHash,
            known ? "forgot it" : "no longer knew it");
        wakeUp = true;
        synchronized (sleeper)
        {
            sleeper.notifyAll();
        }
        return 0;
    }

    /**
     * Runs one refresh now, on the calling thread (after any refresh in progress), asking the stats of every torrent
     * (finished ones included).
     *
     * @param timeout how long to wait for a refresh in progress to finish first.
     * @return true if the refresh reached rqbit and every new torrent's details were fetched.
     */
    public boolean refreshNow(final Duration timeout)
    {
        try
        {
            if (!refreshLock.tryLock(timeout.toNanos(), TimeUnit.NANOSECONDS))
            {
                return false;
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return false;
        }
        try
        {
            return refreshLocked(true);
        }
        finally
        {
            refreshLock.unlock();
        }
    }

    private void run()
    {
        while (!closed)
        {
            refreshLock.lock();
            try
            {
                refreshLocked(false);
            }
            catch (final Throwable t)
            {
                LOG.error("catalog refresh failed unexpectedly", t);
            }
            finally
            {
                refreshLock.unlock();
                firstRefresh.countDown();
            }
            sleepInterval();
        }
    }

    private void sleepInterval()
    {
        final long deadline = System.nanoTime() + refreshIntervalNs;
        synchronized (sleeper)
        {
            long left;
            while (!closed && !wakeUp && (left = deadline - System.nanoTime()) > 0)
            {
                try
                {
                    TimeUnit.NANOSECONDS.timedWait(sleeper, left);
                }
                catch (final InterruptedException ex)
                {
                    return;
                }
            }
            wakeUp = false;
        }
    }

    /**
     * Refresher (holding the lock): one round trip to rqbit and, if anything changed, a new snapshot.
     */
    private boolean refreshLocked(final boolean allStats)
    {
        if (closed)
        {
            return false;
        }
        final long round = refreshes.incrementAndGet();
        final long listStarted = System.nanoTime();
        final List<TorrentSummary> list;
        try
        {
            list = metadata.listTorrents();
        }
        catch (final MetadataException ex)
        {
            onOutage(Errno.name(ex.errno()) + ": " + ex.getMessage());
            return false;
        }
        catch (final RuntimeException ex)
        {
            onOutage(ex.toString());
            return false;
        }

        final Map<String, TorrentSummary> current = new LinkedHashMap<>();
        for (final TorrentSummary s : list)
        {
            final String hash = s.infoHash().toLowerCase(Locale.ROOT);
            if (!StreamTarget.isInfoHash(hash))
            {
                if (warned.add(hash))
                {
                    LOG.warn("ignoring torrent id {} with invalid info hash '{}'", s.id(), s.infoHash());
                }
                continue;
            }
            if (forgottenBefore(hash, listStarted))
            {
                continue;
            }
            current.putIfAbsent(hash, s);
        }
        forgottenAt.entrySet().removeIf(e -> e.getValue() - listStarted <= 0);

        boolean changed = !published;
        for (final Iterator<String> it = layouts.keySet().iterator(); it.hasNext(); )
        {
            final String hash = it.next();
            if (!current.containsKey(hash))
            {
                it.remove();
                inodes.release(hash);
                final PieceAvailability pieces = availability;
                if (pieces != null)
                {
                    pieces.forget(hash);
                }
                changed = true;
                LOG.info("torrent {} left rqbit; removed from the mount", hash);
            }
        }

        boolean complete = true;
        for (final Map.Entry<String, TorrentSummary> e : current.entrySet())
        {
            final String hash = e.getKey();
            if (layouts.containsKey(hash))
            {
                continue;
            }
            final TorrentLayout layout = fetchLayout(hash, e.getValue());
            if (layout == null)
            {
                complete = false;
                continue;
            }
            layouts.put(hash, layout);
            changed = true;
        }

        synchronized (publishLock)
        {
            // a removal may have completed since the list was requested: it must not come back
            final List<TorrentLayout> visible = new ArrayList<>(layouts.size());
            boolean same = true;
            for (final TorrentLayout t : layouts.values())
            {
                if (!forgottenBefore(t.infoHash(), listStarted))
                {
                    visible.add(t);
                    same &= tree.containsTorrent(t.infoHash());
                }
            }
            if (changed || !same || visible.size() != tree.torrentCount())
            {
                tree = FsTree.build(visible, startSeconds, generation.incrementAndGet());
                published = true;
            }
        }
        refreshStatuses(current, allStats ? 0 : round);
        if (outage)
        {
            outage = false;
            LOG.info("rqbit metadata reachable again; {} torrents", layouts.size());
        }
        if (!complete)
        {
            failures.incrementAndGet();
        }
        return complete;
    }

    /** Tests: one background-cadence status round over the torrents laid out now (no list request). */
    void refreshStatusesForTest()
    {
        refreshLock.lock();
        try
        {
            final Map<String, TorrentSummary> current = new LinkedHashMap<>();
            for (final String hash : layouts.keySet())
            {
                current.put(hash, new TorrentSummary(torrentId(hash), hash, null));
            }
            long round = refreshes.incrementAndGet();
            if (round % FINISHED_STATS_EVERY == 0)
            {
                round = refreshes.incrementAndGet();
            }
            refreshStatuses(current, round);
        }
        finally
        {
            refreshLock.unlock();
        }
    }

    /** @return true if rqbit acknowledged forgetting the torrent after {@code listStarted}. */
    private boolean forgottenBefore(final String hash, final long listStarted)
    {
        final Long at = forgottenAt.get(hash);
        return at != null && at - listStarted > 0;
    }

    /**
     * Refresher (holding the lock): ids from the list just fetched and, when due, stats of every laid-out torrent;
     * publishes a new status map. Keeps the last known progress of a torrent whose stats fail.
     *
     * @param round the refresh's number (finished torrents are asked when it is a multiple of
     *              {@link #FINISHED_STATS_EVERY}; 0 asks every torrent).
     */
    private void refreshStatuses(final Map<String, TorrentSummary> current, final long round)
    {
        final Map<String, TorrentStatus> before = statuses;
        final Map<String, TorrentStatus> next = new HashMap<>(current.size() * 4 / 3 + 1);
        boolean skipStats = statsUnsupported;
        for (final Map.Entry<String, TorrentSummary> e : current.entrySet())
        {
            final String hash = e.getKey();
            final TorrentStatus old = before.get(hash);
            TorrentProgress progress = old == null ? null : old.progress();
            final boolean due = progress == null || !progress.finished() || round % FINISHED_STATS_EVERY == 0;
            if (!skipStats && due && layouts.containsKey(hash))
            {
                try
                {
                    final long asked = System.nanoTime();
                    progress = metadata.progress(hash);
                    statsWarned.remove(hash);
                    final PieceAvailability pieces = availability;
                    if (pieces != null)
                    {
                        pieces.updateProgress(hash, progress, asked);
                    }
                }
                catch (final MetadataException ex)
                {
                    if (ex.errno() == Errno.ENOSYS)
                    {
                        statsUnsupported = true;
                        skipStats = true;
                        LOG.info("rqbit metadata client has no stats: no download progress on the mount");
                    }
                    else if (ex.errno() != Errno.ENOENT && statsWarned.add(hash))
                    {
                        LOG.warn("cannot fetch stats of torrent {} ({}): {}: {}; keeping the last known progress",
                            hash, e.getValue().name(), Errno.name(ex.errno()), ex.getMessage());
                    }
                    if (ex.errno() == Errno.ETIMEDOUT)
                    {
                        skipStats = true;
                    }
                }
                catch (final RuntimeException ex)
                {
                    if (statsWarned.add(hash))
                    {
                        LOG.warn("cannot fetch stats of torrent {} ({}): {}; keeping the last known progress",
                            hash, e.getValue().name(), ex.toString());
                    }
                }
            }
            next.put(hash, new TorrentStatus(e.getValue().id(), progress));
        }
        statsWarned.retainAll(next.keySet());
        statuses = Map.copyOf(next);
    }

    private TorrentLayout fetchLayout(final String hash, final TorrentSummary summary)
    {
        final TorrentDetails details;
        try
        {
            details = metadata.torrentDetails(hash);
        }
        catch (final MetadataException ex)
        {
            if (ex.errno() != Errno.ENOENT && warned.add(hash))
            {
                LOG.warn("cannot fetch details of torrent {} ({}): {}: {}; will retry", hash, summary.name(),
                    Errno.name(ex.errno()), ex.getMessage());
            }
            return null;
        }
        catch (final RuntimeException ex)
        {
            if (warned.add(hash))
            {
                LOG.warn("cannot fetch details of torrent {} ({}): {}; will retry", hash, summary.name(), ex.toString());
            }
            return null;
        }
        if (!hash.equals(details.infoHash().toLowerCase(Locale.ROOT)))
        {
            if (warned.add(hash))
            {
                LOG.warn("rqbit answered details of {} when asked for {}; ignoring the torrent", details.infoHash(), hash);
            }
            return null;
        }
        if (details.files().isEmpty())
        {
            // metadata still resolving (a magnet): do not cache an empty torrent, ask again next time
            return null;
        }
        try
        {
            final long first = firstSeen.firstSeenMillis(hash, clockMillis.getAsLong());
            final TorrentLayout layout = TorrentLayout.build(details, summary.name(), first, inodes);
            warned.remove(hash);
            return layout;
        }
        catch (final RuntimeException ex)
        {
            inodes.release(hash);
            if (warned.add(hash))
            {
                LOG.warn("cannot lay out torrent {} ({}): {}; ignoring it", hash, summary.name(), ex.toString());
            }
            return null;
        }
    }

    private void onOutage(final String cause)
    {
        failures.incrementAndGet();
        if (!outage)
        {
            outage = true;
            LOG.warn("rqbit metadata unavailable ({}); serving the last known tree ({} torrents) until it is back",
                cause, tree.torrentCount());
        }
    }

    /**
     * Stops the refresher (waits for a refresh in progress, bounded by {@code initialWait} + 1 s). Does not close
     * the metadata client.
     */
    @Override
    public void close()
    {
        closed = true;
        synchronized (sleeper)
        {
            sleeper.notifyAll();
        }
        final Thread t;
        synchronized (this)
        {
            t = thread;
        }
        if (t != null && t != Thread.currentThread())
        {
            try
            {
                t.join(initialWait.toMillis() + 1000);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
            if (t.isAlive())
            {
                LOG.warn("catalog refresher still busy after close; leaving the daemon thread to finish");
            }
        }
    }
}
