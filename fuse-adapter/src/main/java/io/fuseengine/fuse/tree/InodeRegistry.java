package io.fuseengine.fuse.tree;

import java.util.HashMap;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * Gives every (info hash, path inside the torrent) a stable inode number: derived from a SHA-256 of the key, so the
 * same entry gets the same number across refreshes and restarts, and collision-checked against every number in
 * use (a colliding key probes on). Numbers 0 and 1 (the FUSE root) are never handed out.
 * <p>
 * Threads: confined to the catalog refresher (callers serialise).
 */
public final class InodeRegistry
{
    /** Inode of the mount root. */
    public static final long ROOT_INODE = 1;

    private final Map<Long, String> owners = new HashMap<>();
    private final Map<String, Map<String, Long>> byTorrent = new HashMap<>();
    private final ToLongFunction<String> hash;

    public InodeRegistry()
    {
        this(InodeRegistry::derive);
    }

    /**
     * @param hash derives the first candidate inode of a key (tests force collisions with it).
     */
    InodeRegistry(final ToLongFunction<String> hash)
    {
        this.hash = hash;
    }

    /**
     * @param infoHash torrent.
     * @param relPath  sanitised path inside the torrent, "" for the torrent's own entry.
     * @return the inode of that entry (the same one for the same key while it is registered).
     */
    public long assign(final String infoHash, final String relPath)
    {
        final Map<String, Long> paths = byTorrent.computeIfAbsent(infoHash, h -> new HashMap<>());
        final Long known = paths.get(relPath);
        if (known != null)
        {
            return known;
        }
        final String key = infoHash + '\0' + relPath;
        long ino = hash.applyAsLong(key) & Long.MAX_VALUE;
        while (ino <= ROOT_INODE || owners.containsKey(ino))
        {
            ino = mix(ino + 0x9E3779B97F4A7C15L) & Long.MAX_VALUE;
        }
        owners.put(ino, key);
        paths.put(relPath, ino);
        return ino;
    }

    /**
     * Forgets every inode of a torrent (it left rqbit).
     */
    public void release(final String infoHash)
    {
        final Map<String, Long> paths = byTorrent.remove(infoHash);
        if (paths != null)
        {
            for (final Long ino : paths.values())
            {
                owners.remove(ino);
            }
        }
    }

    /**
     * @return number of inodes handed out.
     */
    public int size()
    {
        return owners.size();
    }

    static long derive(final String key)
    {
        final byte[] d = NameSanitizer.sha256(key);
        long v = 0;
        for (int i = 0; i < 8; i++)
        {
            v = (v << 8) | (d[i] & 0xff);
        }
        return v & Long.MAX_VALUE;
    }

    private static long mix(final long x)
    {
        long z = x;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
