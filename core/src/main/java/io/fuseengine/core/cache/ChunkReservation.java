package io.fuseengine.core.cache;

/**
 * A map entry set aside for one chunk that a fetch is writing straight into: the read-ahead path without a staging
 * buffer (and without the copy from it into the map). Obtained from {@link ChunkCache#reserve}, ended by exactly one
 * of {@link ChunkCache#commit}, {@link ChunkCache#abort} or {@link ChunkCache#abandon}.
 * <p>
 * While reserved, the entry is in the map with a {@link ChunkLayout#FILLING_MAGIC} header: readers miss it (they join
 * the fetch instead), eviction skips it and its bytes count against the budget. Its payload address stays valid until
 * the reservation ends; after that the memory may hold another chunk at any time.
 * <p>
 * Threads: owned by one thread at a time (a fetcher), reused for its next chunk; not thread-safe. The fetch's
 * transport thread writes the payload, never this object.
 */
public final class ChunkReservation
{
    CacheFileIdentity file;
    long chunkIndex;
    long key;
    int slot = ClockIndex.NO_SLOT;
    int length;
    long payloadAddress;

    /** True between a successful {@link ChunkCache#reserve} and the call that ends it. */
    public boolean isActive()
    {
        return slot != ClockIndex.NO_SLOT;
    }

    /** Native address of the reserved payload: where the fetch writes the chunk's {@link #length()} bytes. */
    public long payloadAddress()
    {
        return payloadAddress;
    }

    /** Payload bytes reserved: the chunk's full length. */
    public int length()
    {
        return length;
    }

    void set(
        final CacheFileIdentity file, final long chunkIndex, final long key, final int slot, final int length,
        final long payloadAddress)
    {
        this.file = file;
        this.chunkIndex = chunkIndex;
        this.key = key;
        this.slot = slot;
        this.length = length;
        this.payloadAddress = payloadAddress;
    }

    void clear()
    {
        file = null;
        slot = ClockIndex.NO_SLOT;
        payloadAddress = 0;
        length = 0;
    }

    @Override
    public String toString()
    {
        return isActive() ? "reservation of chunk " + chunkIndex + " of " + file : "no reservation";
    }
}
