package io.fuseengine.core.read;

/**
 * A ring entry: which slot (and generation) holds a read request. Pre-allocated by the ring and reused; the request
 * itself lives in the slot. Written by a publishing FUSE thread, read by the ring's consumer thread.
 */
public final class ReadEvent
{
    int slot;
    long generation;

    public int slot()
    {
        return slot;
    }

    public long generation()
    {
        return generation;
    }
}
