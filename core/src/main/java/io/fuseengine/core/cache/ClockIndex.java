package io.fuseengine.core.cache;

import org.agrona.collections.Long2LongHashMap;

/**
 * On-heap index of the resident chunks and their CLOCK (second-chance) eviction order. Primitive arrays of fixed
 * capacity ({@link ChunkCacheConfig#maxChunks()}) plus a primitive key → slot map sized up front: it never grows
 * and never allocates after construction.
 * <p>
 * Threads: everything except {@link #markReferenced} is called by the cache's writer only (under its lock).
 * {@link #markReferenced} is called by readers concurrently: it sets one byte of a hashed reference table with a
 * plain store. A racy or lost mark only makes eviction slightly less recency-aware; two keys that share a byte
 * only share their second chance. Nothing a reader does can corrupt the index.
 */
final class ClockIndex
{
    static final int NO_SLOT = -1;

    private final int capacity;
    private final int chunksPerSegment;
    private final long[] slotKey;
    private final int[] slotLength;
    private final int[] slotSegment;
    /** 1 while the slot's entry is reserved for a fetch still writing it: never a victim. */
    private final byte[] slotPinned;
    private final int[] freeSlots;
    private final int[] segmentCount;
    private final byte[] referenced;
    private final int referencedMask;
    private final Long2LongHashMap slotByKey;
    private int freeCount;
    private int pinnedCount;
    private long pinnedBytes;
    private int hand;
    private long residentBytes;
    private int residentChunks;

    ClockIndex(final int segments, final int chunksPerSegment)
    {
        this.capacity = segments * chunksPerSegment;
        this.chunksPerSegment = chunksPerSegment;
        this.slotKey = new long[capacity];
        this.slotLength = new int[capacity];
        this.slotSegment = new int[capacity];
        this.slotPinned = new byte[capacity];
        this.freeSlots = new int[capacity];
        this.segmentCount = new int[segments];
        final int referencedLength = Integer.highestOneBit(Math.max(64, capacity * 4 - 1)) << 1;
        this.referenced = new byte[referencedLength];
        this.referencedMask = referencedLength - 1;
        this.slotByKey = new Long2LongHashMap(capacity * 2 + 16, 0.6f, NO_SLOT);
        for (int i = 0; i < capacity; i++)
        {
            freeSlots[i] = capacity - 1 - i;
        }
        this.freeCount = capacity;
    }

    /** Any thread: notes a use of {@code key} for the CLOCK. */
    void markReferenced(final long key)
    {
        referenced[(int)key & referencedMask] = 1;
    }

    int slotOf(final long key)
    {
        return (int)slotByKey.get(key);
    }

    long keyAt(final int slot)
    {
        return slotKey[slot];
    }

    int lengthAt(final int slot)
    {
        return slotLength[slot];
    }

    boolean isSegmentFull(final int segment)
    {
        return segmentCount[segment] >= chunksPerSegment;
    }

    boolean hasFreeSlot()
    {
        return freeCount > 0;
    }

    /** Bytes of every chunk in the map, pinned ones included: what the budget bounds. */
    long residentBytes()
    {
        return residentBytes;
    }

    int residentChunks()
    {
        return residentChunks;
    }

    /**
     * Records a chunk just inserted into the map. Requires a free slot and a segment that is not full.
     *
     * @return its slot.
     */
    int add(final long key, final int length, final int segment)
    {
        if (freeCount == 0 || isSegmentFull(segment) || length <= 0)
        {
            throw new IllegalStateException("no room: free=" + freeCount + " segment " + segment + " count="
                + segmentCount[segment] + " length=" + length);
        }
        final int slot = freeSlots[--freeCount];
        slotKey[slot] = key;
        slotLength[slot] = length;
        slotSegment[slot] = segment;
        slotByKey.put(key, slot);
        segmentCount[segment]++;
        residentBytes += length;
        residentChunks++;
        markReferenced(key);
        return slot;
    }

    /** Excludes {@code slot} from eviction (its entry is reserved for a fetch). */
    void pin(final int slot)
    {
        if (slotPinned[slot] == 0)
        {
            slotPinned[slot] = 1;
            pinnedCount++;
            pinnedBytes += slotLength[slot];
        }
    }

    /** Makes {@code slot} evictable again (its reservation was committed). */
    void unpin(final int slot)
    {
        if (slotPinned[slot] != 0)
        {
            slotPinned[slot] = 0;
            pinnedCount--;
            pinnedBytes -= slotLength[slot];
        }
    }

    /** Slots pinned now. */
    int pinnedCount()
    {
        return pinnedCount;
    }

    /** Bytes of the slots pinned now (part of {@link #residentBytes()}). */
    long pinnedBytes()
    {
        return pinnedBytes;
    }

    boolean isPinned(final int slot)
    {
        return slotPinned[slot] != 0;
    }

    /**
     * Forgets a chunk that was removed from the map (unpins it).
     */
    void remove(final int slot)
    {
        final int length = slotLength[slot];
        if (length == 0)
        {
            throw new IllegalStateException("slot " + slot + " is free");
        }
        slotByKey.remove(slotKey[slot]);
        segmentCount[slotSegment[slot]]--;
        residentBytes -= length;
        residentChunks--;
        unpin(slot);
        slotLength[slot] = 0;
        freeSlots[freeCount++] = slot;
    }

    /**
     * Chooses the next victim by CLOCK: skips (and clears) referenced chunks, gives up on second chances after two
     * sweeps so readers can never stall eviction. Pinned (reserved) slots are never chosen.
     *
     * @param segment only consider chunks of this segment, or -1 for any.
     * @return a resident slot, or {@link #NO_SLOT} if none qualifies.
     */
    int nextVictim(final int segment)
    {
        if (residentChunks == 0 || (segment >= 0 && segmentCount[segment] == 0))
        {
            return NO_SLOT;
        }
        final int secondChanceLimit = capacity * 2;
        for (int step = 0; step < capacity * 3 + 1; step++)
        {
            final int slot = hand;
            hand = slot + 1 == capacity ? 0 : slot + 1;
            if (slotLength[slot] == 0 || slotPinned[slot] != 0 || (segment >= 0 && slotSegment[slot] != segment))
            {
                continue;
            }
            final int r = (int)slotKey[slot] & referencedMask;
            if (referenced[r] != 0 && step < secondChanceLimit)
            {
                referenced[r] = 0;
                continue;
            }
            return slot;
        }
        return NO_SLOT;
    }
}
