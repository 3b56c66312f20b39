package io.fuseengine.fuse.testing;

import io.fuseengine.core.errno.Errno;
import io.fuseengine.core.meta.MetadataException;
import io.fuseengine.core.meta.RqbitMetadata;
import io.fuseengine.core.meta.TorrentDetails;
import io.fuseengine.core.meta.TorrentFile;
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

    public void forget(final String infoHash)
    {
        torrents.removeIf(t -> t.infoHash().equals(infoHash));
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
