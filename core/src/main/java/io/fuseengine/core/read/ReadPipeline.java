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
        final long deadline = System.nanoTime() + readTimeoutNs;
        reads.increment();

        int slot = slots.tryClaim(target, offset, wanted, destAddress, deadline);
        if (slot < 0)
        {
            slot = claimWithBackoff(target, offset, wanted, destAddress, deadline);
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

        final int result = slots.await(slot, generation, deadline);
        if (result < 0)
        {
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
            LOG.error("transport delivered {} bytes instead of {}: {} offset {}", result, wanted, target, offset);
            return -Errno.EIO;
        }
        return result;
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

    @Override
    public void close()
    {
        ring.close();
        transport.close();
    }
}
