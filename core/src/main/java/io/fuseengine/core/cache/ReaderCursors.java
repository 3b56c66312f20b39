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
 * Threads: any thread claims and releases; a cursor belongs to exactly one thread between the two.
 * Each cursor's claim word and key sit on their own cache line.
 */
final class ReaderCursors implements AutoCloseable
{
    static final int NONE = -1;
    /** One cache line per cursor for its claim word, one for its key. */
    static final int STRIDE = 64;

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
            if (claims.getIntVolatile(c * STRIDE) == 0 && claims.compareAndSetInt(c * STRIDE, 0, 1))
            {
                return c;
            }
        }
        return NONE;
    }

    void release(final int cursor)
    {
        claims.putIntRelease(cursor * STRIDE, 0);
    }

    /**
     * @return true if any cursor is claimed (a read may be in progress).
     */
    boolean anyClaimed()
    {
        for (int c = 0; c < count; c++)
        {
            if (claims.getIntVolatile(c * STRIDE) != 0)
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
