package io.fuseengine.fuse.fs;

import io.fuseengine.core.read.StreamTarget;
import io.fuseengine.core.readahead.OpenStream;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The open files: a fixed array of slots, each holding the {@link StreamTarget} of one open file (and, when reads
 * go through the read-ahead engine, its {@link OpenStream}), claimed with a CAS. A file handle is {@code generation << 32 | (index + 1)}: never 0, and a handle of a released slot no longer
 * resolves (its generation moved on). Holding the target (not a path) means a catalog refresh that rebuilds the
 * tree, or renames the torrent's directory, does not disturb open files.
 * <p>
 * Threads: any FUSE thread; lock-free; {@link #target} allocates nothing (it is on the read hot path).
 */
public final class OpenFileTable
{
    private final int capacity;
    private final AtomicReferenceArray<StreamTarget> targets;
    private final AtomicReferenceArray<OpenStream> streams;
    private final AtomicReferenceArray<ReadFailure> failures;
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
        this.streams = new AtomicReferenceArray<>(capacity);
        this.failures = new AtomicReferenceArray<>(capacity);
        this.generations = new AtomicIntegerArray(capacity);
    }

    /**
     * @return a file handle (never 0), or -1 if every slot is taken.
     */
    public long open(final StreamTarget target)
    {
        return claim(target, null);
    }

    /**
     * Opens a handle for a read-ahead stream (its target is {@code stream.target()}).
     *
     * @return a file handle (never 0), or -1 if every slot is taken.
     */
    public long open(final OpenStream stream)
    {
        return claim(stream.target(), stream);
    }

    private long claim(final StreamTarget target, final OpenStream stream)
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
                failures.set(index, null);
                streams.set(index, stream);
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
     * Hot path: the read-ahead stream of a handle.
     *
     * @return the stream, or null for an unknown or released handle or one opened without a stream.
     */
    public OpenStream stream(final long fh)
    {
        final int index = (int)fh - 1;
        if (index < 0 || index >= capacity)
        {
            return null;
        }
        final OpenStream s = streams.get(index);
        return s != null && generations.get(index) == (int)(fh >>> 32) ? s : null;
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
        failures.set(index, null);
        streams.set(index, null);
        targets.set(index, null);
        open.decrementAndGet();
        return true;
    }

    /**
     * Remembers that a read through {@code fh} failed (failure path only: allocates one small record).
     */
    public void recordFailure(final long fh, final long offset, final int length, final int errno, final long nowNanos)
    {
        final int index = (int)fh - 1;
        if (index >= 0 && index < capacity)
        {
            failures.set(index, new ReadFailure(fh, offset, offset + length, errno, nowNanos));
        }
    }

    /**
     * Hot path: the last failed read of {@code fh}, if it covered {@code offset} and happened less than
     * {@code windowNanos} ago.
     *
     * @return the failure, or null.
     */
    public ReadFailure recentFailure(final long fh, final long offset, final long nowNanos, final long windowNanos)
    {
        final int index = (int)fh - 1;
        if (index < 0 || index >= capacity)
        {
            return null;
        }
        final ReadFailure f = failures.get(index);
        if (f == null || f.fh != fh || offset < f.offset || offset >= f.end || nowNanos - f.atNanos > windowNanos)
        {
            return null;
        }
        return f;
    }

    /**
     * A failed read: its handle, byte range, errno and time.
     */
    public static final class ReadFailure
    {
        final long fh;
        final long offset;
        final long end;
        final int errno;
        final long atNanos;

        ReadFailure(final long fh, final long offset, final long end, final int errno, final long atNanos)
        {
            this.fh = fh;
            this.offset = offset;
            this.end = end;
            this.errno = errno;
            this.atNanos = atNanos;
        }

        /** @return positive errno. */
        public int errno()
        {
            return errno;
        }
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
