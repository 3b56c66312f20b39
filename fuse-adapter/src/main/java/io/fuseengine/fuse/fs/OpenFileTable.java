package io.fuseengine.fuse.fs;

import io.fuseengine.core.read.StreamTarget;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The open files: a fixed array of slots, each holding the {@link StreamTarget} of one open file, claimed with a
 * CAS. A file handle is {@code generation << 32 | (index + 1)}: never 0, and a handle of a released slot no longer
 * resolves (its generation moved on). Holding the target (not a path) means a catalog refresh that rebuilds the
 * tree, or renames the torrent's directory, does not disturb open files.
 * <p>
 * Threads: any FUSE thread; lock-free; {@link #target} allocates nothing (it is on the read hot path).
 */
public final class OpenFileTable
{
    private final int capacity;
    private final AtomicReferenceArray<StreamTarget> targets;
    private final AtomicIntegerArray generations;
    private final AtomicInteger hint = new AtomicInteger();
    private final AtomicInteger open = new AtomicInteger();

    /**
     * @param capacity most files open at once.
     */
    public OpenFileTable(final int capacity)
    {
        if (capacity < 1)
        {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        this.capacity = capacity;
        this.targets = new AtomicReferenceArray<>(capacity);
        this.generations = new AtomicIntegerArray(capacity);
    }

    /**
     * @return a file handle (never 0), or -1 if every slot is taken.
     */
    public long open(final StreamTarget target)
    {
        final int start = Math.floorMod(hint.getAndIncrement(), capacity);
        for (int i = 0; i < capacity; i++)
        {
            int index = start + i;
            if (index >= capacity)
            {
                index -= capacity;
            }
            if (targets.get(index) == null && targets.compareAndSet(index, null, target))
            {
                open.incrementAndGet();
                final int generation = generations.get(index);
                return ((long)generation << 32) | (index + 1);
            }
        }
        return -1;
    }

    /**
     * Hot path: resolves a handle.
     *
     * @return the target, or null for an unknown or released handle.
     */
    public StreamTarget target(final long fh)
    {
        final int index = (int)fh - 1;
        if (index < 0 || index >= capacity)
        {
            return null;
        }
        final StreamTarget t = targets.get(index);
        return t != null && generations.get(index) == (int)(fh >>> 32) ? t : null;
    }

    /**
     * Releases a handle.
     *
     * @return false if the handle was not open.
     */
    public boolean release(final long fh)
    {
        final int index = (int)fh - 1;
        if (index < 0 || index >= capacity)
        {
            return false;
        }
        final int generation = (int)(fh >>> 32);
        final StreamTarget t = targets.get(index);
        if (t == null || !generations.compareAndSet(index, generation, generation + 1))
        {
            return false;
        }
        targets.set(index, null);
        open.decrementAndGet();
        return true;
    }

    /**
     * @return files open now.
     */
    public int openCount()
    {
        return open.get();
    }

    public int capacity()
    {
        return capacity;
    }
}
