package io.fuseengine.bench.bridge;

import org.agrona.UnsafeApi;

/**
 * Rival (c), the lower bound: no hand-off at all. The caller copies from the source into its destination itself,
 * as if the bytes were local. What is left is the cost of the copy; the two other rivals copy the same bytes at
 * least once more or from another core.
 */
public final class DirectCallBridge implements ReadBridge
{
    private final SourceBytes source;

    public DirectCallBridge(final SourceBytes source)
    {
        this.source = source;
    }

    @Override
    public int read(final long offset, final int length, final long destAddress)
    {
        UnsafeApi.copyMemory(source.address() + offset, destAddress, length);
        return length;
    }

    @Override
    public void close()
    {
    }
}
