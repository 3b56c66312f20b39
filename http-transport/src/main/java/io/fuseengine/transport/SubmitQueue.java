package io.fuseengine.transport;

import io.fuseengine.core.read.StreamTarget;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A bounded single-producer single-consumer hand-off of read requests, stored as parallel primitive arrays so a
 * hand-off allocates nothing. The producer copies a request's description out of its read slot into the next cell;
 * the consumer turns each cell into a pooled {@link RangeRequest}.
 * <p>
 * Threads: {@link #offer} by the read ring's consumer thread only; {@link #drain} by the transport's event loop
 * only. The release store of {@code tail} publishes a cell; the release store of {@code head} gives it back.
 */
final class SubmitQueue
{
    /** Receives drained requests on the consumer thread. */
    interface Sink
    {
        void accept(int slot, long generation, StreamTarget target, long offset, int length, long deadlineNanos);
    }

    private final int capacity;
    private final int mask;
    private final int[] slots;
    private final long[] generations;
    private final StreamTarget[] targets;
    private final long[] offsets;
    private final int[] lengths;
    private final long[] deadlines;
    private final AtomicLong head = new AtomicLong();
    private final AtomicLong tail = new AtomicLong();

    /**
     * @param capacity a power of two.
     */
    SubmitQueue(final int capacity)
    {
        if (capacity < 2 || Integer.bitCount(capacity) != 1)
        {
            throw new IllegalArgumentException("capacity must be a power of two: " + capacity);
        }
        this.capacity = capacity;
        this.mask = capacity - 1;
        this.slots = new int[capacity];
        this.generations = new long[capacity];
        this.targets = new StreamTarget[capacity];
        this.offsets = new long[capacity];
        this.lengths = new int[capacity];
        this.deadlines = new long[capacity];
    }

    /**
     * Producer thread.
     *
     * @return false if the queue is full.
     */
    boolean offer(
        final int slot, final long generation, final StreamTarget target, final long offset, final int length,
        final long deadlineNanos)
    {
        final long t = tail.get();
        if (t - head.get() >= capacity)
        {
            return false;
        }
        final int i = (int)(t & mask);
        slots[i] = slot;
        generations[i] = generation;
        targets[i] = target;
        offsets[i] = offset;
        lengths[i] = length;
        deadlines[i] = deadlineNanos;
        tail.lazySet(t + 1);
        return true;
    }

    /**
     * Consumer thread: hands every published cell to {@code sink}.
     *
     * @return cells drained.
     */
    int drain(final Sink sink)
    {
        long h = head.get();
        final long t = tail.get();
        int n = 0;
        while (h < t)
        {
            final int i = (int)(h & mask);
            final StreamTarget target = targets[i];
            targets[i] = null;
            final int slot = slots[i];
            final long generation = generations[i];
            final long offset = offsets[i];
            final int length = lengths[i];
            final long deadline = deadlines[i];
            h++;
            head.lazySet(h);
            n++;
            sink.accept(slot, generation, target, offset, length, deadline);
        }
        return n;
    }

    /**
     * @return cells published and not yet drained (approximate from other threads).
     */
    int size()
    {
        return (int)Math.max(0, tail.get() - head.get());
    }
}
