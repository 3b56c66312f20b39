package io.fuseengine.core.read;

import io.fuseengine.core.errno.Errno;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The read path as FUSE threads see it: claim a slot, publish it through the ring, wait on it with a deadline.
 * Bytes land straight in the caller's buffer (the FUSE reply buffer), copied once by the transport.
 * <p>
 * Threads: {@link #read} is called concurrently by any number of FUSE threads; it never waits without a deadline.
 */
public final class ReadPipeline implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(ReadPipeline.class);
    /** How long a reader waits for a free slot or ring entry before answering EAGAIN. */
    private static final long ADMISSION_WAIT_NS = TimeUnit.MILLISECONDS.toNanos(20);

    private final ReadSlots slots;
    private final ManyToOneReadRing ring;
    private final RangeTransport transport;
    private final long readTimeoutNs;
    private final LongAdder reads = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final LongAdder timeouts = new LongAdder();
    private final LongAdder rejected = new LongAdder();
    private final LongAdder cancelled = new LongAdder();

    /**
     * @param slotCount     reads in flight at most (power of two).
     * @param ringSize      ring capacity (power of two).
     * @param readTimeoutNs deadline of every read.
     * @param transport     fetches the bytes.
     */
    public ReadPipeline(final int slotCount, final int ringSize, final long readTimeoutNs, final RangeTransport transport)
    {
        if (readTimeoutNs <= 0)
        {
            throw new IllegalArgumentException("readTimeoutNs must be positive");
        }
        this.slots = new ReadSlots(slotCount);
        this.transport = transport;
        this.readTimeoutNs = readTimeoutNs;
        this.ring = new ManyToOneReadRing(ringSize, slots, transport);
        transport.start(slots);
        ring.start();
    }

    /**
     * FUSE thread: reads up to {@code length} bytes of {@code target} at {@code offset} into native memory at
     * {@code destAddress}. Short only at end of file; 0 at or past end of file (without asking the backend).
     *
     * @return bytes read, or a negated errno.
     */
    public int read(final StreamTarget target, final long offset, final int length, final long destAddress)
    {
        return read(target, offset, length, destAddress, System.nanoTime() + readTimeoutNs);
    }

    /**
     * As {@link #read(StreamTarget, long, int, long)}, with a caller-supplied deadline (a caller that already spent
     * part of its time budget, e.g. waiting on another fetch, passes what is left).
     *
     * @param deadlineNanos deadline in {@link System#nanoTime()} terms.
     * @return bytes read, or a negated errno ({@code -ETIMEDOUT} if the deadline has already passed).
     */
    public int read(
        final StreamTarget target, final long offset, final int length, final long destAddress, final long deadlineNanos)
    {
        if (offset < 0 || length < 0 || length > SlotLayout.MAX_READ_LENGTH)
        {
            return -Errno.EINVAL;
        }
        final long fileLength = target.length();
        if (offset >= fileLength || length == 0)
        {
            return 0;
        }
        final int wanted = (int)Math.min(length, fileLength - offset);
        final long ticket = start(target, offset, wanted, destAddress, deadlineNanos);
        if (ticket < 0)
        {
            return (int)ticket;
        }
        return await(ticket, wanted, deadlineNanos);
    }

    /**
     * Any thread: starts a read of exactly {@code length} bytes (the caller clamps to end of file) and returns at
     * once with a ticket naming the request's (slot, generation). The calling thread must later {@link #await} the
     * ticket (it is the slot's waiter); any thread may {@link #cancel} it meanwhile. Allocation-free.
     *
     * @return a ticket (≥ 0), or a negated errno: {@code -EINVAL} for a bad range, {@code -EAGAIN} when no slot or
     * ring entry frees up in time, {@code -ETIMEDOUT} when the deadline has already passed.
     */
    public long start(
        final StreamTarget target, final long offset, final int length, final long destAddress, final long deadlineNanos)
    {
        if (offset < 0 || length <= 0 || length > SlotLayout.MAX_READ_LENGTH || offset > target.length() - length)
        {
            return -Errno.EINVAL;
        }
        if (System.nanoTime() - deadlineNanos >= 0)
        {
            timeouts.increment();
            return -Errno.ETIMEDOUT;
        }
        reads.increment();
        int slot = slots.tryClaim(target, offset, length, destAddress, deadlineNanos);
        if (slot < 0)
        {
            slot = claimWithBackoff(target, offset, length, destAddress, deadlineNanos);
            if (slot < 0)
            {
                rejected.increment();
                LOG.warn("read rejected (EAGAIN): all {} read slots busy; {} offset {}", slots.slotCount(), target, offset);
                return -Errno.EAGAIN;
            }
        }
        final long generation = slots.generation(slot);
        if (!ring.tryPublish(slot) && !publishWithBackoff(slot))
        {
            slots.release(slot, generation);
            rejected.increment();
            LOG.warn("read rejected (EAGAIN): read ring full; {} offset {}", target, offset);
            return -Errno.EAGAIN;
        }
        return ticket(slot, generation);
    }

    /**
     * The thread that {@link #start started} the ticket: waits for it until {@code deadlineNanos}, then frees its slot.
     *
     * @param wanted bytes the request asked for; any other count delivered is reported as EIO.
     * @return {@code wanted}, or a negated errno ({@code -ECANCELED} if it was {@link #cancel cancelled}).
     */
    public int await(final long ticket, final int wanted, final long deadlineNanos)
    {
        return await(ticket, wanted, deadlineNanos, false);
    }

    /**
     * {@link #await(long, int, long)} for a request known to take milliseconds (a whole read-ahead chunk): the
     * caller parks at once instead of spinning first (see {@link ReadSlots#awaitParked}).
     */
    public int awaitParked(final long ticket, final int wanted, final long deadlineNanos)
    {
        return await(ticket, wanted, deadlineNanos, true);
    }

    private int await(final long ticket, final int wanted, final long deadlineNanos, final boolean parked)
    {
        final int slot = ticketSlot(ticket);
        final long generation = ticketGeneration(ticket);
        final int result = parked
            ? slots.awaitParked(slot, generation, deadlineNanos)
            : slots.await(slot, generation, deadlineNanos);
        if (result < 0)
        {
            if (result == -Errno.ECANCELED)
            {
                cancelled.increment(); // read-ahead dropped on purpose: not an error an operator should see
                return result;
            }
            errors.increment();
            if (result == -Errno.ETIMEDOUT)
            {
                timeouts.increment();
            }
            return result;
        }
        if (result != wanted)
        {
            errors.increment();
            LOG.error("transport delivered {} bytes instead of {} (slot {})", result, wanted, slot);
            return -Errno.EIO;
        }
        return result;
    }

    /**
     * Any thread: bytes of a started request already in its destination and final (see
     * {@link ReadSlots#delivered}), or -1 once it failed, was given up or its slot moved on. Lets other readers of
     * the same destination (a chunk being fetched) take their part before the whole request completes.
     */
    public int delivered(final long ticket)
    {
        return ticket < 0 ? -1 : slots.delivered(ticketSlot(ticket), ticketGeneration(ticket));
    }

    /**
     * Any thread but the transport's: waits until a started request has delivered at least {@code need} bytes (see
     * {@link ReadSlots#awaitDelivered}): woken by the transport, not polling.
     *
     * @return the count delivered (≥ {@code need}), -1 once it failed, was given up or its slot moved on,
     * {@code -ETIMEDOUT} at {@code deadlineNanos}, {@code -EINTR}.
     */
    public int awaitDelivered(final long ticket, final int need, final long deadlineNanos)
    {
        return ticket < 0 ? -1 : slots.awaitDelivered(ticketSlot(ticket), ticketGeneration(ticket), need, deadlineNanos);
    }

    /**
     * Any thread: fails a started request with {@code errno} (e.g. ECANCELED). Its waiter returns at once; the
     * transport's next {@code beginWrite} on it fails, so it stops writing and closes that connection. A ticket that
     * already completed (or whose slot was reused) is left alone.
     *
     * @return true if this call completed the request.
     */
    public boolean cancel(final long ticket, final int errno)
    {
        return ticket >= 0 && slots.fail(ticketSlot(ticket), ticketGeneration(ticket), errno);
    }

    /**
     * The thread that started the ticket, after its await returned: true if the transport may still write into the
     * destination (see {@link ReadSlots#mayStillWrite}); the destination memory must then never be reused.
     */
    public boolean mayStillWrite(final long ticket)
    {
        return ticket >= 0 && slots.mayStillWrite(ticketSlot(ticket), ticketGeneration(ticket));
    }

    /** Packs (slot, generation) into a non-negative ticket: generation in the high bits, slot in the low 16. */
    static long ticket(final int slot, final long generation)
    {
        return (generation << 16) | slot;
    }

    static int ticketSlot(final long ticket)
    {
        return (int)(ticket & 0xFFFF);
    }

    static long ticketGeneration(final long ticket)
    {
        return ticket >>> 16;
    }

    private int claimWithBackoff(
        final StreamTarget target, final long offset, final int wanted, final long dest, final long deadline)
    {
        final long giveUp = System.nanoTime() + ADMISSION_WAIT_NS;
        long parkNs = 1_000;
        while (System.nanoTime() - giveUp < 0)
        {
            LockSupport.parkNanos(parkNs);
            parkNs = Math.min(parkNs * 2, 1_000_000);
            final int slot = slots.tryClaim(target, offset, wanted, dest, deadline);
            if (slot >= 0)
            {
                return slot;
            }
        }
        return -1;
    }

    private boolean publishWithBackoff(final int slot)
    {
        final long giveUp = System.nanoTime() + ADMISSION_WAIT_NS;
        long parkNs = 1_000;
        while (System.nanoTime() - giveUp < 0)
        {
            LockSupport.parkNanos(parkNs);
            parkNs = Math.min(parkNs * 2, 1_000_000);
            if (ring.tryPublish(slot))
            {
                return true;
            }
        }
        return false;
    }

    public ReadSlots slots()
    {
        return slots;
    }

    public ManyToOneReadRing ring()
    {
        return ring;
    }

    public long readTimeoutNanos()
    {
        return readTimeoutNs;
    }

    public long reads()
    {
        return reads.sum();
    }

    public long errors()
    {
        return errors.sum();
    }

    public long timeouts()
    {
        return timeouts.sum();
    }

    public long rejected()
    {
        return rejected.sum();
    }

    /**
     * @return requests ended by {@link #cancel} with ECANCELED (abandoned read-ahead); not counted in {@link #errors}.
     */
    public long cancelled()
    {
        return cancelled.sum();
    }

    @Override
    public void close()
    {
        ring.close();
        transport.close();
    }
}
