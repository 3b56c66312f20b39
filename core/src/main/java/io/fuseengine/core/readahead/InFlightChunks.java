package io.fuseengine.core.readahead;

import io.fuseengine.core.cache.CacheFileIdentity;

/**
 * Which chunks are being fetched: (file, chunk index) → {@link ChunkFetch}, shared by every stream and reader of the
 * engine so nobody asks the backend twice for a chunk already on its way.
 * <p>
 * Lock-striped, primitive: each stripe is a small array of (file key, chunk index, identity, fetch) guarded by its
 * own monitor; a key picks its stripe by hash. Entries are bounded by the number of {@link ChunkFetch} records, so
 * every stripe is sized to hold all of them and an insert never fails for lack of room. No boxing, no allocation.
 * <p>
 * Threads: any thread; each call holds one stripe's monitor briefly.
 */
final class InFlightChunks
{
    private static final int STRIPES = 16;

    private final Stripe[] stripes = new Stripe[STRIPES];

    /**
     * @param capacity fetch records in existence (the most entries there can ever be).
     */
    InFlightChunks(final int capacity)
    {
        for (int i = 0; i < STRIPES; i++)
        {
            stripes[i] = new Stripe(capacity);
        }
    }

    private Stripe stripeOf(final long fileKey, final long chunkIndex)
    {
        long h = fileKey + chunkIndex * 0x9E3779B97F4A7C15L;
        h ^= h >>> 29;
        return stripes[(int)(h & (STRIPES - 1))];
    }

    /**
     * @return the fetch of (file, chunk) in the table, or null. The caller confirms it under the fetch's monitor
     * ({@link ChunkFetch#isPendingFetchOf}): it may complete and be reused right after this returns.
     */
    ChunkFetch find(final CacheFileIdentity file, final long chunkIndex)
    {
        final Stripe s = stripeOf(file.fileKey(), chunkIndex);
        synchronized (s)
        {
            final int i = s.indexOf(file, chunkIndex);
            return i < 0 ? null : s.fetches[i];
        }
    }

    /**
     * Inserts {@code fetch} (describing its file and chunk) unless that chunk is in the table already.
     *
     * @return null if inserted, else the fetch already there.
     */
    ChunkFetch putIfAbsent(final ChunkFetch fetch)
    {
        final CacheFileIdentity file = fetch.file;
        final long chunkIndex = fetch.chunkIndex;
        final Stripe s = stripeOf(file.fileKey(), chunkIndex);
        synchronized (s)
        {
            final int i = s.indexOf(file, chunkIndex);
            if (i >= 0)
            {
                return s.fetches[i];
            }
            final int n = s.size;
            if (n == s.fetches.length)
            {
                throw new IllegalStateException("in-flight table stripe full: more entries than fetch records");
            }
            s.fileKeys[n] = file.fileKey();
            s.chunks[n] = chunkIndex;
            s.files[n] = file;
            s.fetches[n] = fetch;
            s.size = n + 1;
            return null;
        }
    }

    /**
     * Removes {@code fetch} if it is in the table (compared by reference).
     */
    void remove(final ChunkFetch fetch, final CacheFileIdentity file, final long chunkIndex)
    {
        final Stripe s = stripeOf(file.fileKey(), chunkIndex);
        synchronized (s)
        {
            for (int i = 0; i < s.size; i++)
            {
                if (s.fetches[i] == fetch)
                {
                    final int last = s.size - 1;
                    s.fileKeys[i] = s.fileKeys[last];
                    s.chunks[i] = s.chunks[last];
                    s.files[i] = s.files[last];
                    s.fetches[i] = s.fetches[last];
                    s.files[last] = null;
                    s.fetches[last] = null;
                    s.size = last;
                    return;
                }
            }
        }
    }

    /** @return entries now (for tests and gauges; takes every stripe's monitor in turn). */
    int size()
    {
        int n = 0;
        for (final Stripe s : stripes)
        {
            synchronized (s)
            {
                n += s.size;
            }
        }
        return n;
    }

    private static final class Stripe
    {
        final long[] fileKeys;
        final long[] chunks;
        final CacheFileIdentity[] files;
        final ChunkFetch[] fetches;
        int size;

        Stripe(final int capacity)
        {
            fileKeys = new long[capacity];
            chunks = new long[capacity];
            files = new CacheFileIdentity[capacity];
            fetches = new ChunkFetch[capacity];
        }

        int indexOf(final CacheFileIdentity file, final long chunkIndex)
        {
            final long key = file.fileKey();
            for (int i = 0; i < size; i++)
            {
                if (fileKeys[i] == key && chunks[i] == chunkIndex && files[i].equals(file))
                {
                    return i;
                }
            }
            return -1;
        }
    }
}
