package io.fuseengine.core.read;

import com.lmax.disruptor.BatchEventProcessor;
import com.lmax.disruptor.BatchEventProcessorBuilder;
import com.lmax.disruptor.BlockingWaitStrategy;
import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.EventTranslator;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.SequenceBarrier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The multi-producer LMAX Disruptor ring between FUSE threads and the transport. Many FUSE threads publish
 * (slot, generation) through pre-allocated per-slot translators, so publishing allocates nothing; one consumer
 * thread hands each event to the {@link RangeTransport}.
 * <p>
 * Threads: {@link #tryPublish} from any FUSE thread; the consumer runs on its own daemon thread
 * {@code fe-read-ring}, started by {@link #start} and stopped by {@link #close}.
 */
public final class ManyToOneReadRing implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(ManyToOneReadRing.class);

    private final RingBuffer<ReadEvent> ring;
    private final BatchEventProcessor<ReadEvent> processor;
    private final SlotTranslator[] translators;
    private Thread consumer;

    /**
     * @param ringSize   ring capacity, a power of two.
     * @param slots      the slot pool whose slots are published (one translator per slot).
     * @param transport  receives every event on the consumer thread.
     */
    public ManyToOneReadRing(final int ringSize, final ReadSlots slots, final RangeTransport transport)
    {
        this.ring = RingBuffer.createMultiProducer(ReadEvent::new, ringSize, new BlockingWaitStrategy());
        final SequenceBarrier barrier = ring.newBarrier();
        final EventHandler<ReadEvent> handler = (event, sequence, endOfBatch) ->
        {
            try
            {
                transport.submit(event.slot, event.generation);
            }
            catch (final RuntimeException ex)
            {
                LOG.error("transport rejected read (slot {}): {}", event.slot, ex.toString(), ex);
                slots.fail(event.slot, event.generation, io.fuseengine.core.errno.Errno.EIO);
            }
        };
        this.processor = new BatchEventProcessorBuilder().build(ring, barrier, handler);
        ring.addGatingSequences(processor.getSequence());
        this.translators = new SlotTranslator[slots.slotCount()];
        for (int i = 0; i < translators.length; i++)
        {
            translators[i] = new SlotTranslator(i, slots);
        }
    }

    /**
     * Starts the consumer thread.
     */
    public synchronized void start()
    {
        if (consumer != null)
        {
            throw new IllegalStateException("already started");
        }
        consumer = new Thread(processor, "fe-read-ring");
        consumer.setDaemon(true);
        consumer.start();
    }

    /**
     * FUSE thread: publishes a claimed slot. Allocation-free.
     *
     * @return false if the ring is full (the caller backs off or answers EAGAIN).
     */
    public boolean tryPublish(final int slot)
    {
        return ring.tryPublishEvent(translators[slot]);
    }

    /**
     * @return events published and not yet consumed.
     */
    public long backlog()
    {
        return ring.getCursor() - processor.getSequence().get();
    }

    public int capacity()
    {
        return ring.getBufferSize();
    }

    @Override
    public synchronized void close()
    {
        if (consumer != null)
        {
            processor.halt();
            try
            {
                consumer.join(2000);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
            consumer = null;
        }
    }

    /** One per slot, created up front: copies (slot, current generation) into the event. */
    private static final class SlotTranslator implements EventTranslator<ReadEvent>
    {
        private final int slot;
        private final ReadSlots slots;

        SlotTranslator(final int slot, final ReadSlots slots)
        {
            this.slot = slot;
            this.slots = slots;
        }

        @Override
        public void translateTo(final ReadEvent event, final long sequence)
        {
            event.slot = slot;
            event.generation = slots.generation(slot);
        }
    }
}
