package io.fuseengine.fuse.testing;

import io.fuseengine.core.errno.Errno;
import io.fuseengine.core.meta.MetadataException;
import io.fuseengine.core.meta.RqbitMetadata;
import io.fuseengine.core.meta.TorrentDetails;
import io.fuseengine.core.meta.TorrentFile;
import io.fuseengine.core.meta.TorrentProgress;
import io.fuseengine.core.meta.TorrentSummary;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-memory rqbit metadata API: torrents can be added and forgotten, the daemon taken down, and calls blocked.
 * Thread-safe.
 */
public final class FakeMetadata implements RqbitMetadata
{
    private final List<TorrentDetails> torrents = new CopyOnWriteArrayList<>();
    private final Map<String, AtomicInteger> detailCalls = new ConcurrentHashMap<>();
    private final AtomicInteger listCalls = new AtomicInteger();
    private volatile boolean down;
    private volatile CountDownLatch listGate;
    private volatile CountDownLatch listEntered;
    private volatile boolean closed;
    private volatile int forgetErrno;
    private volatile int progressErrno;
    private final Map<String, TorrentProgress> progress = new ConcurrentHashMap<>();
    private final AtomicInteger progressCalls = new AtomicInteger();

    public static String hash(final int n)
    {
        return String.format("%040x", n);
    }

    public static TorrentFile file(final int index, final long length, final String... components)
    {
        return new TorrentFile(index, String.join("/", components), List.of(components), length, true, false);
    }

    public static TorrentFile padding(final int index, final long length)
    {
        return new TorrentFile(index, ".pad/" + length, List.of(".pad", Long.toString(length)), length, true, true);
    }

    public FakeMetadata add(final String infoHash, final String name, final TorrentFile... files)
    {
        torrents.add(new TorrentDetails(infoHash, name, -1, List.of(files)));
        return this;
    }

    public FakeMetadata add(final TorrentDetails details)
    {
        torrents.add(details);
        return this;
    }

    /**
     * Like {@code POST /torrents/{hash}/forget}, unless {@link #failForget} is set (then it throws that errno).
     */
    @Override
    public boolean forget(final String infoHash) throws MetadataException
    {
        final int errno = forgetErrno;
        if (errno != 0)
        {
            throw new MetadataException(errno, "forget failed (fake)");
        }
        progress.remove(infoHash);
        return torrents.removeIf(t -> t.infoHash().equals(infoHash));
    }

    /** Removes a torrent as if another client forgot it (never fails). */
    public void drop(final String infoHash)
    {
        torrents.removeIf(t -> t.infoHash().equals(infoHash));
    }

    /** @param errno the errno every later forget fails with, 0 to succeed again. */
    public void failForget(final int errno)
    {
        this.forgetErrno = errno;
    }

    /** Sets what {@code stats/v1} answers for a torrent (none set: ENOENT). */
    public FakeMetadata progress(final String infoHash, final TorrentProgress p)
    {
        progress.put(infoHash, p);
        return this;
    }

    /** @param errno the errno every later stats call fails with, 0 to answer again. */
    public void failProgress(final int errno)
    {
        this.progressErrno = errno;
    }

    public int progressCalls()
    {
        return progressCalls.get();
    }

    @Override
    public TorrentProgress progress(final String infoHash) throws MetadataException
    {
        progressCalls.incrementAndGet();
        final int errno = down ? Errno.ECONNREFUSED : progressErrno;
        if (errno != 0)
        {
            throw new MetadataException(errno, "stats failed (fake)");
        }
        final TorrentProgress p = progress.get(infoHash);
        if (p == null)
        {
            throw new MetadataException(Errno.ENOENT, "torrent_not_found (fake)");
        }
        return p;
    }

    public void down(final boolean isDown)
    {
        this.down = isDown;
    }

    /**
     * Makes the next listTorrents calls wait until the returned latch is released.
     */
    public CountDownLatch blockList()
    {
        listEntered = new CountDownLatch(1);
        final CountDownLatch gate = new CountDownLatch(1);
        listGate = gate;
        return gate;
    }

    public boolean awaitListBlocked(final long timeoutMs) throws InterruptedException
    {
        return listEntered.await(timeoutMs, TimeUnit.MILLISECONDS);
    }

    public int listCalls()
    {
        return listCalls.get();
    }

    public int detailCalls(final String infoHash)
    {
        final AtomicInteger n = detailCalls.get(infoHash);
        return n == null ? 0 : n.get();
    }

    @Override
    public List<TorrentSummary> listTorrents() throws MetadataException
    {
        listCalls.incrementAndGet();
        final CountDownLatch gate = listGate;
        if (gate != null)
        {
            listEntered.countDown();
            try
            {
                gate.await(10, TimeUnit.SECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
            listGate = null;
        }
        if (down)
        {
            throw new MetadataException(Errno.ECONNREFUSED, "connection refused (fake)");
        }
        final List<TorrentSummary> out = new ArrayList<>();
        int id = 0;
        for (final TorrentDetails t : torrents)
        {
            out.add(new TorrentSummary(id++, t.infoHash(), t.name()));
        }
        return out;
    }

    @Override
    public TorrentDetails torrentDetails(final String infoHash) throws MetadataException
    {
        detailCalls.computeIfAbsent(infoHash, h -> new AtomicInteger()).incrementAndGet();
        if (down)
        {
            throw new MetadataException(Errno.ECONNREFUSED, "connection refused (fake)");
        }
        for (final TorrentDetails t : torrents)
        {
            if (t.infoHash().equals(infoHash))
            {
                return t;
            }
        }
        throw new MetadataException(Errno.ENOENT, "torrent_not_found (fake)");
    }

    public boolean closed()
    {
        return closed;
    }

    @Override
    public void close()
    {
        closed = true;
    }
}
