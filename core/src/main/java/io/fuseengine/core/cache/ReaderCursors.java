package io.fuseengine.core.cache;

import net.openhft.chronicle.bytes.BytesStore;
import org.agrona.BufferUtil;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A fixed pool of read cursors: the per-read scratch state of {@link ChunkCache#read} (the 8-byte map key the query
 * is made with, and two {@link UnsafeBuffer} views over the entry and the destination). Pooled rather than
 * thread-local because FUSE threads are throwaway objects until jffi has seen 1000 callbacks on them.
 * <p>
 * A cursor can also <em>pin</em> the entry of one key ({@link #pin}): its owner hands the entry's memory to a
 * {@link io.fuseengine.core.read.ReadSink} after leaving the segment's read lock, and the cache's writer does not
 * remove or overwrite a pinned entry ({@link #isPinned}). The owner pins under the segment's read lock and the writer
 * checks under the segment's write lock, so a writer either sees the pin or removed the entry before the reader
 * looked it up.
 * <p>
 * Threads: any thread claims and releases; a cursor belongs to exactly one thread between the two, and only that
 * thread pins and unpins it. {@link #isPinned} from the cache's writer. Each cursor's claim word, pin flag and pinned
 * key share one cache line; its query key sits on another.
 */
final class ReaderCursors implements AutoCloseable
{
    static final int NONE = -1;
    /** One cache line per cursor for its claim word, pin flag and pinned key, one for its query key. */
    static final int STRIDE = 64;
    /** In a cursor's line of {@code claims}: the claim word (int), the pin flag (int), the pinned key (long). */
    private static final int CLAIM_OFFSET = 0;
    private static final int PIN_FLAG_OFFSET = 4;
    private static final int PIN_KEY_OFFSET = 8;

    private final int count;
    private final AtomicBuffer claims;
    private final BytesStore<?, Void> keys;
    private final UnsafeBuffer[] valueViews;
    private final UnsafeBuffer[] destinationViews;

    ReaderCursors(final int count)
    {
        this.count = count;
        this.claims = new UnsafeBuffer(BufferUtil.allocateDirectAligned(count * STRIDE, 64));
        this.keys = BytesStore.nativeStoreWithFixedCapacity((long)count * STRIDE);
        this.valueViews = new UnsafeBuffer[count];
        this.destinationViews = new UnsafeBuffer[count];
        for (int i = 0; i < count; i++)
        {
            valueViews[i] = new UnsafeBuffer(0, 0);
            destinationViews[i] = new UnsafeBuffer(0, 0);
        }
    }

    /**
     * @return a claimed cursor, or {@link #NONE} if all are in use. Allocation-free.
     */
    int tryClaim()
    {
        final int start = (int)(Thread.currentThread().getId() % count);
        for (int i = 0; i < count; i++)
        {
            int c = start + i;
            if (c >= count)
            {
                c -= count;
            }
            final int claim = c * STRIDE + CLAIM_OFFSET;
            if (claims.getIntVolatile(claim) == 0 && claims.compareAndSetInt(claim, 0, 1))
            {
                return c;
            }
        }
        return NONE;
    }

    void release(final int cursor)
    {
        claims.putIntRelease(cursor * STRIDE + CLAIM_OFFSET, 0);
    }

    /**
     * Cursor's owner, under the read lock of the segment holding {@code key}'s entry: keeps that entry in place (not
     * removed, not overwritten) until {@link #unpin}.
     */
    void pin(final int cursor, final long key)
    {
        claims.putLong(cursor * STRIDE + PIN_KEY_OFFSET, key);
        claims.putIntVolatile(cursor * STRIDE + PIN_FLAG_OFFSET, 1);
    }

    /** Cursor's owner: done with the pinned entry's memory. */
    void unpin(final int cursor)
    {
        claims.putIntRelease(cursor * STRIDE + PIN_FLAG_OFFSET, 0);
    }

    /**
     * The cache's writer, under the write lock of the segment holding {@code key}'s entry: whether a reader is using
     * that entry's memory.
     */
    boolean isPinned(final long key)
    {
        for (int c = 0; c < count; c++)
        {
            final int line = c * STRIDE;
            if (claims.getIntVolatile(line + PIN_FLAG_OFFSET) != 0 && claims.getLong(line + PIN_KEY_OFFSET) == key)
            {
                return true;
            }
        }
        return false;
    }

    /** Cursors in the pool: at most this many entries are pinned at once. */
    int count()
    {
        return count;
    }

    /**
     * @return true if any cursor is claimed (a read may be in progress).
     */
    boolean anyClaimed()
    {
        for (int c = 0; c < count; c++)
        {
            if (claims.getIntVolatile(c * STRIDE + CLAIM_OFFSET) != 0)
            {
                return true;
            }
        }
        return false;
    }

    /** Native store holding every cursor's key. */
    BytesStore<?, Void> keys()
    {
        return keys;
    }

    /**
     * Writes {@code key} into the cursor's key bytes.
     *
     * @return the offset of the key in {@link #keys()}.
     */
    long putKey(final int cursor, final long key)
    {
        final long offset = (long)cursor * STRIDE;
        keys.writeLong(offset, key);
        return offset;
    }

    UnsafeBuffer valueView(final int cursor)
    {
        return valueViews[cursor];
    }

    UnsafeBuffer destinationView(final int cursor)
    {
        return destinationViews[cursor];
    }

    @Override
    public void close()
    {
        keys.releaseLast();
    }
}
