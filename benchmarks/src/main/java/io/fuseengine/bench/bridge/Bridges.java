package io.fuseengine.bench.bridge;

import java.util.concurrent.TimeUnit;

/**
 * Builds a rival by the name {@code BridgeBenchmark} takes as its {@code design} parameter.
 */
public final class Bridges
{
    public static final String SLOT_RING = "slotRing";
    public static final String QUEUE_FUTURE = "queueFuture";
    public static final String DIRECT_CALL = "directCall";

    /** Same deadline for every rival; never reached in these runs (a timeout fails the benchmark). */
    public static final long READ_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(30);

    private Bridges()
    {
    }

    public static ReadBridge create(final String design, final SourceBytes source)
    {
        switch (design)
        {
            case SLOT_RING:
                return new SlotRingBridge(source, SlotRingBridge.DEFAULT_SLOTS, SlotRingBridge.DEFAULT_RING_SIZE, READ_TIMEOUT_NS);
            case QUEUE_FUTURE:
                return new QueueFutureBridge(source, QueueFutureBridge.SEED_CHANNEL_CAPACITY, READ_TIMEOUT_NS);
            case DIRECT_CALL:
                return new DirectCallBridge(source);
            default:
                throw new IllegalArgumentException("unknown design: " + design);
        }
    }
}
