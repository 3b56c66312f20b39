package io.fuseengine.core.cache;

import io.fuseengine.core.read.StreamTarget;

/**
 * The identity of one file in the chunk cache: (info hash, file index), its length, and the 64-bit file key the map
 * keys are derived from. Immutable; create it once per file (when the catalog is built, next to its
 * {@link StreamTarget}) and pass the same instance to every {@link ChunkCache} call: the hot path never parses
 * strings.
 * <p>
 * The file key is a hash and may collide with another file's; the cache never relies on it alone: every entry
 * carries the full identity in its header ({@link ChunkLayout}), and a read whose header does not match misses.
 */
public final class CacheFileIdentity
{
    private final long infoHashHigh;
    private final long infoHashMiddle;
    private final int infoHashLow;
    private final int fileIndex;
    private final long fileLength;
    private final long fileKey;

    private CacheFileIdentity(
        final long infoHashHigh,
        final long infoHashMiddle,
        final int infoHashLow,
        final int fileIndex,
        final long fileLength,
        final long fileKey)
    {
        this.infoHashHigh = infoHashHigh;
        this.infoHashMiddle = infoHashMiddle;
        this.infoHashLow = infoHashLow;
        this.fileIndex = fileIndex;
        this.fileLength = fileLength;
        this.fileKey = fileKey;
    }

    /**
     * @param target the file as the read path knows it.
     * @return its cache identity.
     */
    public static CacheFileIdentity of(final StreamTarget target)
    {
        return of(target.infoHash(), target.fileIndex(), target.length());
    }

    /**
     * @param infoHash   40 lowercase hex characters.
     * @param fileIndex  index of the file in its torrent (≥ 0).
     * @param fileLength length of the file in bytes (≥ 0).
     * @return the identity, with the file key derived from (info hash, file index).
     */
    public static CacheFileIdentity of(final String infoHash, final int fileIndex, final long fileLength)
    {
        check(infoHash, fileIndex, fileLength);
        final long high = Long.parseUnsignedLong(infoHash.substring(0, 16), 16);
        final long middle = Long.parseUnsignedLong(infoHash.substring(16, 32), 16);
        final int low = (int)Long.parseLong(infoHash.substring(32, 40), 16);
        return new CacheFileIdentity(high, middle, low, fileIndex, fileLength, fileKeyOf(high, middle, low, fileIndex));
    }

    /**
     * Test hook: an identity whose file key is forced, to provoke key collisions between different files.
     */
    static CacheFileIdentity withForcedFileKey(
        final String infoHash, final int fileIndex, final long fileLength, final long fileKey)
    {
        final CacheFileIdentity real = of(infoHash, fileIndex, fileLength);
        return new CacheFileIdentity(
            real.infoHashHigh, real.infoHashMiddle, real.infoHashLow, fileIndex, fileLength, fileKey);
    }

    /**
     * Rebuilds an identity from the fields of an entry header (used when a persisted map is reopened).
     */
    static CacheFileIdentity fromHeader(
        final long high, final long middle, final int low, final int fileIndex, final long fileLength)
    {
        return new CacheFileIdentity(high, middle, low, fileIndex, fileLength, fileKeyOf(high, middle, low, fileIndex));
    }

    /**
     * @return the 64-bit file key of (info hash, file index): a strong mix of all 164 bits.
     */
    static long fileKeyOf(final long high, final long middle, final int low, final int fileIndex)
    {
        long h = mix(high ^ 0x6A09E667F3BCC908L);
        h = mix(h ^ middle);
        h = mix(h ^ (((long)low << 32) | (fileIndex & 0xFFFF_FFFFL)));
        return h;
    }

    /**
     * @return the map key of one chunk of a file. Collisions are possible and harmless (headers are verified).
     */
    static long chunkKey(final long fileKey, final long chunkIndex)
    {
        return mix(fileKey + (chunkIndex + 1) * 0x9E3779B97F4A7C15L);
    }

    /** SplitMix64 finaliser. */
    static long mix(final long x)
    {
        long z = x;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static void check(final String infoHash, final int fileIndex, final long fileLength)
    {
        if (!StreamTarget.isInfoHash(infoHash))
        {
            throw new IllegalArgumentException("not an info hash: " + infoHash);
        }
        if (fileIndex < 0 || fileLength < 0)
        {
            throw new IllegalArgumentException("fileIndex=" + fileIndex + " fileLength=" + fileLength);
        }
    }

    long infoHashHigh()
    {
        return infoHashHigh;
    }

    long infoHashMiddle()
    {
        return infoHashMiddle;
    }

    int infoHashLow()
    {
        return infoHashLow;
    }

    public int fileIndex()
    {
        return fileIndex;
    }

    public long fileLength()
    {
        return fileLength;
    }

    public long fileKey()
    {
        return fileKey;
    }

    /**
     * @return the info hash as 40 lowercase hex characters (allocates: for log lines).
     */
    public String infoHash()
    {
        return String.format("%016x%016x%08x", infoHashHigh, infoHashMiddle, infoHashLow);
    }

    @Override
    public boolean equals(final Object o)
    {
        return o instanceof CacheFileIdentity other
            && infoHashHigh == other.infoHashHigh
            && infoHashMiddle == other.infoHashMiddle
            && infoHashLow == other.infoHashLow
            && fileIndex == other.fileIndex
            && fileLength == other.fileLength;
    }

    @Override
    public int hashCode()
    {
        return Long.hashCode(fileKey);
    }

    @Override
    public String toString()
    {
        return infoHash() + "#" + fileIndex + " (" + fileLength + " B)";
    }
}
