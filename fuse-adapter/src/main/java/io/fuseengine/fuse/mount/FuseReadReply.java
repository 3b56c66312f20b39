package io.fuseengine.fuse.mount;

import io.fuseengine.core.read.ReadSink;
import org.agrona.UnsafeApi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.LongAdder;

import static io.fuseengine.core.errno.Errno.EIO;
import static io.fuseengine.core.errno.Errno.ENODEV;
import static io.fuseengine.core.errno.Errno.ENOENT;
import static io.fuseengine.fuse.mount.FuseProtocol.IOVEC_BASE;
import static io.fuseengine.fuse.mount.FuseProtocol.IOVEC_LEN;
import static io.fuseengine.fuse.mount.FuseProtocol.IOVEC_SIZE;
import static io.fuseengine.fuse.mount.FuseProtocol.OUT_HEADER_ERROR;
import static io.fuseengine.fuse.mount.FuseProtocol.OUT_HEADER_LEN;
import static io.fuseengine.fuse.mount.FuseProtocol.OUT_HEADER_SIZE;
import static io.fuseengine.fuse.mount.FuseProtocol.OUT_HEADER_UNIQUE;

/**
 * The reply to one {@code FUSE_READ}, written to {@code /dev/fuse} by the worker that received the request, not by
 * libfuse: a {@code fuse_out_header} and the data in one {@code writev}, as libfuse's {@code fuse_reply_data} does.
 * The data is written from wherever the file system says it is ({@link #take}: a resident cache chunk, a fetch's
 * destination), so a hit costs the kernel's one copy into the page cache and no copy before it. Paths that must copy
 * get room from {@link #destination}: {@code malloc}'d per read, as libfuse's own read path does.
 * <p>
 * Each read gets exactly one reply: {@link #take} sends it at once; otherwise {@link #finish} sends the bytes
 * copied into the destination, or the error.
 * <p>
 * Threads: confined to its FUSE worker ({@link FuseSessionLoop}), one read at a time: {@link #begin}, the file
 * system's calls, {@link #finish}.
 */
public final class FuseReadReply implements ReadSink
{
    private static final Logger LOG = LoggerFactory.getLogger(FuseReadReply.class);
    /** Native: the out-header, then two iovecs (header, data). */
    private static final int HEADER_AT = 0;
    private static final int IOV_AT = OUT_HEADER_SIZE;
    private static final int NATIVE_SIZE = OUT_HEADER_SIZE + 2 * IOVEC_SIZE;

    private final int fd;
    private final long scratch;
    private final LongAdder takenReplies;
    private final LongAdder copiedReplies;
    /** The worker that made it: the only thread that may use it. */
    private final Thread owner = Thread.currentThread();
    private long unique;
    private int size;
    private boolean replied;
    private long destination;
    private int destinationCapacity;

    /**
     * Called by the worker that will use it.
     *
     * @param fd            the session's {@code /dev/fuse} descriptor.
     * @param takenReplies  counts reads answered from the file system's memory ({@link #take}).
     * @param copiedReplies counts reads answered from the {@link #destination} (errors and end of file not counted).
     */
    public FuseReadReply(final int fd, final LongAdder takenReplies, final LongAdder copiedReplies)
    {
        this.fd = fd;
        this.takenReplies = takenReplies;
        this.copiedReplies = copiedReplies;
        this.scratch = UnsafeApi.allocateMemory(NATIVE_SIZE);
        UnsafeApi.setMemory(scratch, NATIVE_SIZE, (byte)0);
    }

    /**
     * Starts the reply to the request {@code unique}, which asked for at most {@code size} bytes.
     */
    public void begin(final long unique, final int size)
    {
        assert Thread.currentThread() == owner
            : "FuseReadReply of " + owner.getName() + " used by " + Thread.currentThread().getName();
        this.unique = unique;
        this.size = size;
        this.replied = false;
    }

    /** The file system hands over the whole read: replied now, from {@code address}. */
    @Override
    public void take(final long address, final int length)
    {
        if (replied)
        {
            throw new IllegalStateException("FUSE read " + unique + " was already answered");
        }
        if (length < 0 || length > size)
        {
            send(-EIO, 0, 0);
            throw new IllegalStateException("FUSE read " + unique + " of " + size + " bytes handed " + length);
        }
        send(0, address, length);
        takenReplies.increment();
    }

    @Override
    public long destination(final int length)
    {
        if (length > destinationCapacity)
        {
            final long grown = UnsafeApi.allocateMemory(length);
            if (destination != 0)
            {
                UnsafeApi.copyMemory(destination, grown, destinationCapacity);
                UnsafeApi.freeMemory(destination);
            }
            destination = grown;
            destinationCapacity = length;
        }
        return destination;
    }

    /**
     * Ends the read with the file system's {@code result} (bytes, or a negated errno): unless {@link #take} has
     * answered it, replies with the bytes copied into {@link #destination} or with the error. Frees the
     * destination.
     */
    public void finish(final int result)
    {
        try
        {
            if (!replied)
            {
                if (result < 0)
                {
                    send(result, 0, 0);
                }
                else if (result > size || (result > 0 && result > destinationCapacity))
                {
                    LOG.error("FUSE read {} of {} bytes answered {} with {} bytes of room: replying EIO", unique, size,
                        result, destinationCapacity);
                    send(-EIO, 0, 0);
                }
                else
                {
                    send(0, destination, result);
                    if (result > 0)
                    {
                        copiedReplies.increment();
                    }
                }
            }
        }
        finally
        {
            if (destination != 0)
            {
                UnsafeApi.freeMemory(destination);
                destination = 0;
                destinationCapacity = 0;
            }
        }
    }

    private void send(final int error, final long data, final int length)
    {
        replied = true;
        final long header = scratch + HEADER_AT;
        final long iov = scratch + IOV_AT;
        UnsafeApi.putInt(header + OUT_HEADER_LEN, OUT_HEADER_SIZE + length);
        UnsafeApi.putInt(header + OUT_HEADER_ERROR, error);
        UnsafeApi.putLong(header + OUT_HEADER_UNIQUE, unique);
        UnsafeApi.putLong(iov + IOVEC_BASE, header);
        UnsafeApi.putLong(iov + IOVEC_LEN, OUT_HEADER_SIZE);
        UnsafeApi.putLong(iov + IOVEC_SIZE + IOVEC_BASE, data);
        UnsafeApi.putLong(iov + IOVEC_SIZE + IOVEC_LEN, length);
        final long written = FuseProtocol.writev(fd, iov, length > 0 ? 2 : 1);
        if (written == -ENOENT)
        {
            LOG.debug("FUSE read {} was interrupted before its reply", unique);
        }
        else if (written == -ENODEV)
        {
            LOG.debug("FUSE read {} answered after the session ended (unmounted)", unique);
        }
        else if (written != OUT_HEADER_SIZE + length)
        {
            LOG.error("writing the reply to FUSE read {} ({} bytes, error {}) failed: {}", unique, length, error, written);
            if (length > 0)
            {
                send(-EIO, 0, 0); // the reader must not wait for an answer that never comes
            }
        }
    }

    /** Frees the native memory; the worker is ending. */
    void close()
    {
        UnsafeApi.freeMemory(scratch);
    }
}
