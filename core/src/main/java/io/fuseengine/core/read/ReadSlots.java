package io.fuseengine.core.read;

import io.fuseengine.core.errno.Errno;
import org.agrona.BufferUtil;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;

import static io.fuseengine.core.read.SlotLayout.*;

/**
 * A fixed pool of pre-allocated completion slots, one per read in flight. A FUSE thread claims a slot, describes
 * its request in it, publishes the slot through the ring, and waits on it with a deadline; the transport writes the
 * bytes straight into the destination the slot names and completes it.
 * <p>
 * The state of each slot is one {@code long} in an Agrona {@link AtomicBuffer}: {@code generation << 3 | state}.
 * Every claim increments the generation, and every transport-side transition is a CAS that names the generation,
 * so a completion that arrives after its waiter timed out fails its CAS and touches nothing.
 * <pre>
 *   FREE(g) --claim--> PENDING(g+1) --beginWrite--> WRITING(g+1) --endWrite--> PENDING(g+1)
 *                         |                            '--complete/fail--> COMPLETE(g+1) --waiter--> FREE(g+1)
 *                         '--waiter deadline (CAS)--> FREE(g+1)
 * </pre>
 * Threads: {@link #tryClaim} and {@link #await} are called by FUSE threads (many); the {@link ReadCompletion}
 * methods by the transport. A waiter never frees a slot in WRITING, so the destination memory is valid for the whole
 * of every write.
 * <p>
 * Besides its claimer, a request can have <em>progress waiters</em>: threads that want a prefix of its destination
 * (other readers of a chunk being fetched) and park in {@link #awaitDelivered} until the transport has delivered
 * that much. Each registers in one of the slot's {@link #PROGRESS_WAITERS_PER_SLOT} cells and lowers the slot's
 * wake-at word to the count it needs; {@link #endWrite} wakes the registered waiters once its delivered count reaches
 * wake-at, and a completion wakes them all. One wake-up per waiter and threshold instead of a poll: on a small machine
 * every needless wake-up is a context switch taken from the threads producing the bytes.
 */
public final class ReadSlots implements ReadCompletion
{
    private static final int SPINS = 40;
    private static final int YIELDS = 8;
    private static final long MIN_PARK_NS = TimeUnit.MICROSECONDS.toNanos(2);
    /** Default longest single park; completions unpark the waiter at once, so this only bounds deadline overshoot. */
    public static final long DEFAULT_MAX_PARK_NS = TimeUnit.MILLISECONDS.toNanos(5);
    /** How long past its deadline a waiter waits for a write in progress before reporting EIO. */
    private static final long WRITE_GRACE_NS = TimeUnit.SECONDS.toNanos(1);
    /** Progress waiters one request can park at once; more poll (see {@link #awaitDelivered}). */
    public static final int PROGRESS_WAITERS_PER_SLOT = 8;
    /** A progress waiter that found every cell taken looks again after this long. */
    private static final long UNREGISTERED_POLL_NS = TimeUnit.MICROSECONDS.toNanos(100);
    private static final int NO_WAKE = Integer.MAX_VALUE;

    private final int slotCount;
    private final long maxParkNs;
    private final int mask;
    private final AtomicBuffer meta;
    private final Thread[] waiters;
    private final StreamTarget[] targets;
    private final BackoffIdleStrategy[] idlers;
    private final AtomicReferenceArray<Thread> progressWaiters;
    private final AtomicInteger inUse = new AtomicInteger();
    private final AtomicInteger claimHint = new AtomicInteger();

    /**
     * @param slotCount number of slots, a power of two (bounds the reads in flight).
     */
    public ReadSlots(final int slotCount)
    {
        this(slotCount, DEFAULT_MAX_PARK_NS);
    }

    /**
     * @param slotCount number of slots, a power of two (bounds the reads in flight).
     * @param maxParkNs longest single park of a waiter (tests raise it so a lost wake-up shows as a hang).
     */
    public ReadSlots(final int slotCount, final long maxParkNs)
    {
        if (slotCount < 1 || Integer.bitCount(slotCount) != 1 || slotCount > 65536)
        {
            throw new IllegalArgumentException("slotCount must be a power of two in [1, 65536]: " + slotCount);
        }
        this.slotCount = slotCount;
        this.maxParkNs = maxParkNs;
        this.mask = slotCount - 1;
        this.meta = new UnsafeBuffer(BufferUtil.allocateDirectAligned(slotCount * SLOT_STRIDE, 64));
        this.waiters = new Thread[slotCount];
        this.targets = new StreamTarget[slotCount];
        this.idlers = new BackoffIdleStrategy[slotCount];
        this.progressWaiters = new AtomicReferenceArray<>(slotCount * PROGRESS_WAITERS_PER_SLOT);
        for (int i = 0; i < slotCount; i++)
        {
            idlers[i] = new BackoffIdleStrategy(SPINS, YIELDS, MIN_PARK_NS, maxParkNs);
            meta.putInt(i * SLOT_STRIDE + WAKE_AT_OFFSET, NO_WAKE);
        }
    }

    public int slotCount()
    {
        return slotCount;
    }

    /**
     * @return slots currently claimed (a gauge for metrics and leak checks).
     */
    public int inUse()
    {
        return inUse.get();
    }

    /**
     * FUSE thread: claims a free slot and describes the request in it. Allocation-free.
     *
     * @return the slot index, or -1 if every slot is in use.
     */
    public int tryClaim(
        final StreamTarget target,
        final long offset,
        final int length,
        final long destAddress,
        final long deadlineNanos)
    {
        final int start = claimHint.getAndIncrement();
        for (int i = 0; i < slotCount; i++)
        {
            final int slot = (start + i) & mask;
            final int base = slot * SLOT_STRIDE;
            final long w = meta.getLongVolatile(base + STATE_WORD_OFFSET);
            if (stateOf(w) == FREE && meta.compareAndSetLong(base + STATE_WORD_OFFSET, w, word(generationOf(w) + 1, PENDING)))
            {
                meta.putInt(base + ERRNO_OFFSET, 0);
                meta.putInt(base + RESULT_LENGTH_OFFSET, 0);
                meta.putLong(base + DEST_ADDRESS_OFFSET, destAddress);
                meta.putLong(base + REQUEST_OFFSET_OFFSET, offset);
                meta.putInt(base + REQUEST_LENGTH_OFFSET, length);
                meta.putLong(base + DEADLINE_OFFSET, deadlineNanos);
                meta.putIntVolatile(base + WAKE_AT_OFFSET, NO_WAKE);
                targets[slot] = target;
                waiters[slot] = Thread.currentThread();
                idlers[slot].reset();
                inUse.incrementAndGet();
                return slot;
            }
        }
        return -1;
    }

    /**
     * @return the generation of a slot just claimed by the calling thread.
     */
    public long generation(final int slot)
    {
        return generationOf(meta.getLongVolatile(slot * SLOT_STRIDE + STATE_WORD_OFFSET));
    }

    /**
     * FUSE thread (the claimer): gives a claimed slot back without waiting, e.g. when the ring was full.
     */
    public void release(final int slot, final long generation)
    {
        final int base = slot * SLOT_STRIDE;
        if (meta.compareAndSetLong(base + STATE_WORD_OFFSET, word(generation, PENDING), word(generation, FREE)))
        {
            clearOwner(slot);
        }
        else
        {
            throw new IllegalStateException("slot " + slot + " was published; await it instead of releasing it");
        }
    }

    /**
     * FUSE thread (the claimer): waits until the request completes or its deadline passes, then frees the slot.
     * Spins briefly, then yields, then parks (woken early by the completing thread).
     *
     * @return bytes delivered (≥ 0) or a negated errno; {@code -ETIMEDOUT} when the deadline passed.
     */
    public int await(final int slot, final long generation, final long deadlineNanos)
    {
        return await(slot, generation, deadlineNanos, false);
    }

    /**
     * Like {@link #await(int, long, long)} for requests known to take milliseconds (whole read-ahead chunks): parks
     * at once instead of spinning and yielding first, which on a small machine takes the cores from the very threads
     * producing the bytes. The completing thread unparks the waiter, so a completion is never missed (the park
     * permit covers an unpark that comes before the park).
     */
    public int awaitParked(final int slot, final long generation, final long deadlineNanos)
    {
        return await(slot, generation, deadlineNanos, true);
    }

    private int await(final int slot, final long generation, final long deadlineNanos, final boolean parkAtOnce)
    {
        final int base = slot * SLOT_STRIDE;
        final long pending = word(generation, PENDING);
        final long complete = word(generation, COMPLETE);
        final BackoffIdleStrategy idle = idlers[slot];
        while (true)
        {
            final long w = meta.getLongVolatile(base + STATE_WORD_OFFSET);
            if (w == complete)
            {
                final int errno = meta.getInt(base + ERRNO_OFFSET);
                final int length = meta.getInt(base + RESULT_LENGTH_OFFSET);
                clearOwner(slot);
                meta.putLongRelease(base + STATE_WORD_OFFSET, word(generation, FREE));
                return errno != 0 ? -errno : length;
            }
            final long now = System.nanoTime();
            if (now - deadlineNanos >= 0)
            {
                if (w == pending)
                {
                    if (meta.compareAndSetLong(base + STATE_WORD_OFFSET, pending, word(generation, FREE)))
                    {
                        clearOwner(slot);
                        wakeProgressWaiters(slot); // they see -1 (given up) at once instead of at their next look
                        return -Errno.ETIMEDOUT;
                    }
                    continue;
                }
                if (now - deadlineNanos > WRITE_GRACE_NS)
                {
                    // A write has been open for over a second: a transport bug. Keep the slot (leak it) rather than
                    // risk the destination being written after we return.
                    return -Errno.EIO;
                }
                Thread.onSpinWait();
                continue;
            }
            if (parkAtOnce)
            {
                LockSupport.parkNanos(Math.min(maxParkNs, deadlineNanos - now));
            }
            else
            {
                idle.idle();
            }
        }
    }

    private void clearOwner(final int slot)
    {
        waiters[slot] = null;
        targets[slot] = null;
        inUse.decrementAndGet();
    }

    @Override
    public boolean isPending(final int slot, final long generation)
    {
        return meta.getLongVolatile(slot * SLOT_STRIDE + STATE_WORD_OFFSET) == word(generation, PENDING);
    }

    @Override
    public boolean beginWrite(final int slot, final long generation)
    {
        return meta.compareAndSetLong(
            slot * SLOT_STRIDE + STATE_WORD_OFFSET, word(generation, PENDING), word(generation, WRITING));
    }

    @Override
    public void endWrite(final int slot, final long generation, final int delivered)
    {
        final int base = slot * SLOT_STRIDE;
        // Volatile, not just release: the count must be visible before wake-at is read (the waiter's side lowers
        // wake-at, then reads the count), or a waiter could miss both this count and its wake-up.
        meta.putIntVolatile(base + RESULT_LENGTH_OFFSET, delivered);
        meta.putLongRelease(base + STATE_WORD_OFFSET, word(generation, PENDING));
        final int wakeAt = meta.getIntVolatile(base + WAKE_AT_OFFSET);
        if (delivered >= wakeAt)
        {
            // Reset before waking: a waiter that registers after the scan below lowers wake-at again afterwards.
            meta.compareAndSetInt(base + WAKE_AT_OFFSET, wakeAt, NO_WAKE);
            wakeProgressWaiters(slot);
        }
    }

    /**
     * Any thread other than the transport: waits until request (slot, generation) has delivered at least
     * {@code need} bytes into its destination, or has failed or moved on, or {@code deadlineNanos} passes. The
     * transport wakes the caller when its count reaches {@code need} (or the request ends), so it parks once, not in a
     * poll; with all {@link #PROGRESS_WAITERS_PER_SLOT} cells of the slot taken it looks again every 100 µs instead.
     * The same caveat as {@link #delivered} holds for the destination memory.
     *
     * @return the count delivered (≥ {@code need}; the first {@code need} bytes are final and visible), -1 if the
     * request failed, was given up or its slot moved on, {@code -ETIMEDOUT} once the deadline passed, {@code -EINTR}
     * if the caller was interrupted.
     */
    public int awaitDelivered(final int slot, final long generation, final int need, final long deadlineNanos)
    {
        final int base = slot * SLOT_STRIDE;
        int cell = -1;
        try
        {
            while (true)
            {
                int delivered = delivered(slot, generation);
                if (delivered < 0 || delivered >= need)
                {
                    return delivered;
                }
                if (cell < 0)
                {
                    cell = registerProgressWaiter(slot);
                }
                if (cell >= 0)
                {
                    lowerWakeAt(base, need);
                    delivered = delivered(slot, generation); // after the threshold is visible: see endWrite
                    if (delivered < 0 || delivered >= need)
                    {
                        return delivered;
                    }
                }
                final long remaining = deadlineNanos - System.nanoTime();
                if (remaining <= 0)
                {
                    return -Errno.ETIMEDOUT;
                }
                if (Thread.currentThread().isInterrupted())
                {
                    return -Errno.EINTR;
                }
                LockSupport.parkNanos(this, Math.min(cell >= 0 ? maxParkNs : UNREGISTERED_POLL_NS, remaining));
            }
        }
        finally
        {
            if (cell >= 0)
            {
                progressWaiters.set(cell, null);
            }
        }
    }

    private int registerProgressWaiter(final int slot)
    {
        final Thread me = Thread.currentThread();
        final int first = slot * PROGRESS_WAITERS_PER_SLOT;
        for (int cell = first; cell < first + PROGRESS_WAITERS_PER_SLOT; cell++)
        {
            if (progressWaiters.get(cell) == null && progressWaiters.compareAndSet(cell, null, me))
            {
                return cell;
            }
        }
        return -1;
    }

    private void lowerWakeAt(final int base, final int need)
    {
        while (true)
        {
            final int current = meta.getIntVolatile(base + WAKE_AT_OFFSET);
            if (current <= need || meta.compareAndSetInt(base + WAKE_AT_OFFSET, current, need))
            {
                return;
            }
        }
    }

    private void wakeProgressWaiters(final int slot)
    {
        final int first = slot * PROGRESS_WAITERS_PER_SLOT;
        for (int cell = first; cell < first + PROGRESS_WAITERS_PER_SLOT; cell++)
        {
            final Thread waiter = progressWaiters.get(cell);
            if (waiter != null)
            {
                LockSupport.unpark(waiter);
            }
        }
    }

    /**
     * Any thread: how far request (slot, generation) has got. The destination's first {@code n} bytes are final
     * and visible to the caller once this returns {@code n} (the transport publishes the count after the bytes,
     * with release semantics, and never rewrites them). The answer is only as durable as the destination memory:
     * the caller must know by other means that its owner has not reused it meanwhile.
     *
     * @return bytes delivered so far (the full length once completed successfully), or -1 if the request failed,
     * was given up, or the slot has moved on to another generation.
     */
    public int delivered(final int slot, final long generation)
    {
        final int base = slot * SLOT_STRIDE;
        final long before = meta.getLongVolatile(base + STATE_WORD_OFFSET);
        if (generationOf(before) != generation || stateOf(before) == FREE)
        {
            return -1;
        }
        if (stateOf(before) == COMPLETE)
        {
            final int errno = meta.getInt(base + ERRNO_OFFSET);
            final int length = meta.getInt(base + RESULT_LENGTH_OFFSET);
            return meta.getLongVolatile(base + STATE_WORD_OFFSET) == before && errno == 0 ? length : -1;
        }
        final int n = meta.getIntVolatile(base + RESULT_LENGTH_OFFSET);
        final long after = meta.getLongVolatile(base + STATE_WORD_OFFSET);
        return generationOf(after) == generation && stateOf(after) != FREE ? n : -1;
    }

    /**
     * The claimer, after its {@link #await} returned: true if the transport may still be writing into the destination
     * of request (slot, generation): the waiter gave up on a write that stayed open past its grace period (a
     * transport bug), so the slot was never freed and the transport may begin another write. The destination memory
     * must then never be reused. After every other outcome the waiter freed the slot (FREE, or a later generation).
     */
    public boolean mayStillWrite(final int slot, final long generation)
    {
        final long w = meta.getLongVolatile(slot * SLOT_STRIDE + STATE_WORD_OFFSET);
        return generationOf(w) == generation && stateOf(w) != FREE;
    }

    @Override
    public void completeWrite(final int slot, final long generation, final int length)
    {
        publish(slot, generation, Errno.OK, length);
    }

    @Override
    public void failWrite(final int slot, final long generation, final int errno)
    {
        publish(slot, generation, errno, 0);
    }

    @Override
    public boolean complete(final int slot, final long generation, final int length)
    {
        if (!beginWrite(slot, generation))
        {
            return false;
        }
        publish(slot, generation, Errno.OK, length);
        return true;
    }

    @Override
    public boolean fail(final int slot, final long generation, final int errno)
    {
        if (errno <= 0)
        {
            throw new IllegalArgumentException("errno must be positive: " + errno);
        }
        if (!beginWrite(slot, generation))
        {
            return false;
        }
        publish(slot, generation, errno, 0);
        return true;
    }

    private void publish(final int slot, final long generation, final int errno, final int length)
    {
        final int base = slot * SLOT_STRIDE;
        final Thread waiter = waiters[slot];
        meta.putInt(base + ERRNO_OFFSET, errno);
        meta.putInt(base + RESULT_LENGTH_OFFSET, length);
        meta.putLongVolatile(base + STATE_WORD_OFFSET, word(generation, COMPLETE));
        if (waiter != null)
        {
            LockSupport.unpark(waiter);
        }
        wakeProgressWaiters(slot);
    }

    @Override
    public long destAddress(final int slot)
    {
        return meta.getLong(slot * SLOT_STRIDE + DEST_ADDRESS_OFFSET);
    }

    @Override
    public long requestOffset(final int slot)
    {
        return meta.getLong(slot * SLOT_STRIDE + REQUEST_OFFSET_OFFSET);
    }

    @Override
    public int requestLength(final int slot)
    {
        return meta.getInt(slot * SLOT_STRIDE + REQUEST_LENGTH_OFFSET);
    }

    @Override
    public long deadlineNanos(final int slot)
    {
        return meta.getLong(slot * SLOT_STRIDE + DEADLINE_OFFSET);
    }

    @Override
    public StreamTarget target(final int slot)
    {
        return targets[slot];
    }
}
