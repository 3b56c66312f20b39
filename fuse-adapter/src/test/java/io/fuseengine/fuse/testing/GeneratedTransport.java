package io.fuseengine.fuse.testing;

import io.fuseengine.core.read.RangeTransport;
import io.fuseengine.core.read.ReadCompletion;
import io.fuseengine.core.read.StreamTarget;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A RangeTransport that completes every request at once, on the ring's consumer thread, with bytes from
 * {@link #byteAt}: a pure function of (info hash, file index, position). {@link #failWith} makes it fail requests
 * instead.
 */
public final class GeneratedTransport implements RangeTransport
{
    private ReadCompletion completion;
    private final AtomicInteger requests = new AtomicInteger();
    private volatile int failErrno;
    private volatile boolean closed;

    public static byte byteAt(final StreamTarget t, final long pos)
    {
        long z = pos * 0x9E3779B97F4A7C15L + t.fileIndex() * 0xD1B54A32D192ED03L + t.infoHash().hashCode();
        z = (z ^ (z >>> 31)) * 0xBF58476D1CE4E5B9L;
        return (byte)(z ^ (z >>> 29));
    }

    public void failWith(final int errno)
    {
        this.failErrno = errno;
    }

    public int requests()
    {
        return requests.get();
    }

    public boolean closed()
    {
        return closed;
    }

    @Override
    public void start(final ReadCompletion completion)
    {
        this.completion = completion;
    }

    @Override
    public void submit(final int slot, final long generation)
    {
        requests.incrementAndGet();
        if (failErrno != 0)
        {
            completion.fail(slot, generation, failErrno);
            return;
        }
        if (!completion.beginWrite(slot, generation))
        {
            return;
        }
        final StreamTarget t = completion.target(slot);
        final long offset = completion.requestOffset(slot);
        final int length = completion.requestLength(slot);
        final UnsafeBuffer dest = new UnsafeBuffer(completion.destAddress(slot), length);
        for (int i = 0; i < length; i++)
        {
            dest.putByte(i, byteAt(t, offset + i));
        }
        completion.completeWrite(slot, generation, length);
    }

    @Override
    public void close()
    {
        closed = true;
    }
}
