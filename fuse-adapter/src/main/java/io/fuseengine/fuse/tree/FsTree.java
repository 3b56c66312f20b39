package io.fuseengine.fuse.tree;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An immutable snapshot of the whole mounted tree: the root lists one entry per torrent (a directory, or a file
 * for a single-file torrent), named after the torrent; clashes between torrents are made unique with
 * {@code " (2)"}... in first-seen order (then info hash), so a torrent keeps its name across refreshes and restarts.
 * <p>
 * Lookups go through one map from absolute path ({@code "/"}, {@code "/Torrent/dir/file"}) to node: a FUSE
 * callback resolves a path with a single hash lookup and no allocation.
 * <p>
 * Threads: built by the catalog refresher, published through a volatile field, then read by any number of FUSE
 * threads without locking.
 */
public final class FsTree
{
    private final FsNode root;
    private final Map<String, FsNode> byPath;
    private final Set<String> infoHashes;
    private final Map<String, TorrentLayout> byTopPath;
    private final List<TorrentLayout> layouts;
    private final long totalBytes;
    private final long generation;

    private FsTree(
        final FsNode root,
        final Map<String, FsNode> byPath,
        final Set<String> infoHashes,
        final Map<String, TorrentLayout> byTopPath,
        final List<TorrentLayout> layouts,
        final long totalBytes,
        final long generation)
    {
        this.root = root;
        this.byPath = byPath;
        this.infoHashes = infoHashes;
        this.byTopPath = byTopPath;
        this.layouts = layouts;
        this.totalBytes = totalBytes;
        this.generation = generation;
    }

    /**
     * @return a tree holding only the (empty) root.
     */
    public static FsTree empty(final long rootMtimeSeconds)
    {
        return build(List.of(), rootMtimeSeconds, 0);
    }

    /**
     * @param torrents         the torrents to show, any order.
     * @param emptyRootMtimeSeconds mtime of the root when there is no torrent (otherwise the newest first-seen time).
     * @param generation       a number identifying this snapshot (grows with every rebuild).
     */
    public static FsTree build(final List<TorrentLayout> torrents, final long emptyRootMtimeSeconds, final long generation)
    {
        final List<TorrentLayout> ordered = new ArrayList<>(torrents);
        ordered.sort(Comparator.comparingLong(TorrentLayout::firstSeenMillis).thenComparing(TorrentLayout::infoHash));

        final Set<String> taken = new HashSet<>();
        final String[] names = new String[ordered.size()];
        final List<Integer> clashing = new ArrayList<>();
        for (int i = 0; i < names.length; i++)
        {
            names[i] = ordered.get(i).naturalName();
            if (!taken.add(names[i]))
            {
                clashing.add(i);
            }
        }
        for (final int i : clashing)
        {
            int n = 2;
            String candidate;
            do
            {
                candidate = NameSanitizer.withSuffix(names[i], n++, ordered.get(i).singleFile());
            }
            while (!taken.add(candidate));
            names[i] = candidate;
        }

        int capacity = 1;
        for (final TorrentLayout t : ordered)
        {
            capacity += 1 + t.descendantCount();
        }
        final Map<String, FsNode> byPath = new HashMap<>(capacity * 4 / 3 + 1);
        final Set<String> hashes = new HashSet<>();
        final Map<String, TorrentLayout> byTop = new HashMap<>(ordered.size() * 4 / 3 + 1);
        final FsNode[] top = new FsNode[ordered.size()];
        long total = 0;
        long newest = -1;
        for (int i = 0; i < top.length; i++)
        {
            final TorrentLayout t = ordered.get(i);
            top[i] = t.top().renamed(names[i]);
            final String base = "/" + names[i];
            byPath.put(base, top[i]);
            byTop.put(base, t);
            for (int d = 0; d < t.descendantCount(); d++)
            {
                byPath.put(base + '/' + t.relPath(d), t.descendant(d));
            }
            hashes.add(t.infoHash());
            total += t.totalBytes();
            newest = Math.max(newest, t.mtimeSeconds());
        }
        final FsNode root = FsNode.directory(InodeRegistry.ROOT_INODE, "/", newest < 0 ? emptyRootMtimeSeconds : newest, top);
        byPath.put("/", root);
        return new FsTree(root, byPath, Collections.unmodifiableSet(hashes), byTop,
            Collections.unmodifiableList(ordered), total, generation);
    }

    /**
     * @return this tree without the torrent {@code infoHash} (names of the others resolved again), or this tree if
     *         it does not hold that torrent.
     */
    public FsTree without(final String infoHash, final long emptyRootMtimeSeconds, final long newGeneration)
    {
        if (!infoHashes.contains(infoHash))
        {
            return this;
        }
        final List<TorrentLayout> rest = new ArrayList<>(layouts.size());
        for (final TorrentLayout t : layouts)
        {
            if (!t.infoHash().equals(infoHash))
            {
                rest.add(t);
            }
        }
        return build(rest, emptyRootMtimeSeconds, newGeneration);
    }

    /**
     * FUSE thread: the torrent whose top-level entry (its directory, or the file of a single-file torrent) is
     * exactly {@code path}.
     *
     * @return the torrent, or null if {@code path} is not a top-level entry.
     */
    public TorrentLayout torrentAt(final String path)
    {
        return byTopPath.get(path);
    }

    /**
     * FUSE thread: the torrent a path belongs to (its top-level entry or anything below it).
     *
     * @return the torrent, or null for the root or a path outside every torrent.
     */
    public TorrentLayout torrentOf(final String path)
    {
        if (path == null || path.length() < 2 || path.charAt(0) != '/')
        {
            return null;
        }
        final int slash = path.indexOf('/', 1);
        return byTopPath.get(slash < 0 ? path : path.substring(0, slash));
    }

    /**
     * @return the torrents of this snapshot, in first-seen order (then info hash).
     */
    public List<TorrentLayout> layouts()
    {
        return layouts;
    }

    /**
     * FUSE thread: resolves an absolute path.
     *
     * @return the node, or null if there is none.
     */
    public FsNode lookup(final String path)
    {
        return byPath.get(path);
    }

    public FsNode root()
    {
        return root;
    }

    /**
     * @return true if the torrent is part of this snapshot.
     */
    public boolean containsTorrent(final String infoHash)
    {
        return infoHashes.contains(infoHash);
    }

    public Set<String> infoHashes()
    {
        return infoHashes;
    }

    public int torrentCount()
    {
        return infoHashes.size();
    }

    /**
     * @return entries in the tree, root included.
     */
    public int nodeCount()
    {
        return byPath.size();
    }

    /**
     * @return bytes of every file in the tree.
     */
    public long totalBytes()
    {
        return totalBytes;
    }

    public long generation()
    {
        return generation;
    }
}
