package io.fuseengine.bench.bridge;

import io.fuseengine.core.read.RangeTransport;
import io.fuseengine.core.read.ReadCompletion;
import org.agrona.UnsafeApi;

/**
 * A {@link RangeTransport} with zero latency: completes every request on the ring consumer thread, inside
 * {@link #submit}, by copying from the pre-filled source straight into the slot's destination
 * (beginWrite → copy → completeWrite), the way the HTTP transport copies a response body. The file offset of the
 * request is the offset in the source.
 */
public final class InMemoryRangeTransport implements RangeTransport
{
    private final SourceBytes source;
    private ReadCompletion completion;

    public InMemoryRangeTransport(final SourceBytes source)
    {
        this.source = source;
    }

    @Override
    public void start(final ReadCompletion completion)
    {
        this.completion = completion;
    }

    @Override
    public void submit(final int slot, final long generation)
    {
        final ReadCompletion c = completion;
        final long offset = c.requestOffset(slot);
        final int length = c.requestLength(slot);
        if (!c.beginWrite(slot, generation))
        {
            return;
        }
        UnsafeApi.copyMemory(source.address() + offset, c.destAddress(slot), length);
        c.completeWrite(slot, generation, length);
    }

    @Override
    public void close()
    {
    }
}
