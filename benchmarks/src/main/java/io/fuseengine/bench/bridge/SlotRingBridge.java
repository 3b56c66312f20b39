package io.fuseengine.bench.bridge;

import io.fuseengine.core.read.ReadPipeline;
import io.fuseengine.core.read.StreamTarget;

/**
 * Rival (a), fuse-engine's design, unchanged: a real {@link ReadPipeline} (claim an Agrona slot, publish
 * (slot, generation) into the multi-producer Disruptor ring, wait on the slot with a deadline: spin → yield → park,
 * woken by unpark) over an {@link InMemoryRangeTransport} that writes the bytes straight into the caller's
 * destination. No allocation per read.
 */
public final class SlotRingBridge implements ReadBridge
{
    /** Defaults of {@code EngineConfig} (read-slots, ring-size). */
    public static final int DEFAULT_SLOTS = 256;
    public static final int DEFAULT_RING_SIZE = 1024;

    private final ReadPipeline pipeline;
    private final StreamTarget target;

    public SlotRingBridge(final SourceBytes source, final int slots, final int ringSize, final long readTimeoutNs)
    {
        this.target = new StreamTarget(
            "00112233445566778899aabbccddeeff00112233", 0, source.length(), "bench/in-memory source");
        this.pipeline = new ReadPipeline(slots, ringSize, readTimeoutNs, new InMemoryRangeTransport(source));
    }

    @Override
    public int read(final long offset, final int length, final long destAddress)
    {
        return pipeline.read(target, offset, length, destAddress);
    }

    public ReadPipeline pipeline()
    {
        return pipeline;
    }

    @Override
    public void close()
    {
        pipeline.close();
    }
}
