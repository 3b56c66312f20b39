package io.fuseengine.core.read;

/**
 * Where one read's bytes go when the caller can take them straight from the memory that already holds them (a
 * resident cache chunk, a running fetch's destination) instead of having them copied into a buffer first: the FUSE
 * session answers a read by writing its reply to {@code /dev/fuse} from that memory, one copy fewer per read.
 * <p>
 * A read ends in exactly one of two ways: {@link #take} is called once with all of its bytes, or its bytes (if any)
 * are copied into {@link #destination}, and the reader's result says how many.
 * <p>
 * Threads: the FUSE thread that owns the read, for one read at a time.
 */
public interface ReadSink
{
    /**
     * Takes all of the read's {@code length} bytes from {@code address}. The caller pins that memory for the call
     * only (a cache entry through the reader's cursor, or a fetch's copier count): the sink must be done with it on
     * return. The read is then served, whatever the sink did with the bytes (a reply the kernel no longer waits for
     * is not an error of the read).
     */
    void take(long address, int length);

    /**
     * Room for {@code length} bytes the read copies into, for the paths that cannot hand over their source (a read
     * across chunks, a direct read from the backend). Valid until the read has been answered; asking again for no
     * more than before returns the same room.
     */
    long destination(int length);
}
