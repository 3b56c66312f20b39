package io.fuseengine.fuse.catalog;

import io.fuseengine.core.errno.Errno;
import io.fuseengine.core.meta.MetadataException;
import io.fuseengine.core.meta.RqbitMetadata;
import io.fuseengine.core.meta.TorrentDetails;
import io.fuseengine.core.meta.TorrentSummary;
import io.fuseengine.core.read.StreamTarget;
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
 * <p>
 * Threads: the refresher is one daemon thread, {@code fe-catalog}. FUSE threads only call {@link #tree()}, a volatile
 * read that never waits on the network or on a refresh. {@link #refreshNow} (tests, CLI) runs a refresh on the
 * caller's thread, serialised with the refresher by a lock.
 */
public final class TorrentCatalog implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(TorrentCatalog.class);

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
    private boolean published;
    private long generation;

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

    /**
     * Runs one refresh now, on the calling thread (after any refresh in progress).
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
            return refreshLocked();
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
                refreshLocked();
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
            while (!closed && (left = deadline - System.nanoTime()) > 0)
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
        }
    }

    /**
     * Refresher (holding the lock): one round trip to rqbit and, if anything changed, a new snapshot.
     */
    private boolean refreshLocked()
    {
        if (closed)
        {
            return false;
        }
        refreshes.incrementAndGet();
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
            current.putIfAbsent(hash, s);
        }

        boolean changed = !published;
        for (final Iterator<String> it = layouts.keySet().iterator(); it.hasNext(); )
        {
            final String hash = it.next();
            if (!current.containsKey(hash))
            {
                it.remove();
                inodes.release(hash);
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

        if (changed)
        {
            tree = FsTree.build(new ArrayList<>(layouts.values()), startSeconds, ++generation);
            published = true;
        }
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
