package io.fuseengine.transport;

import io.fuseengine.core.read.StreamTarget;
import io.netty.util.concurrent.ScheduledFuture;

/**
 * One read request as the event loop tracks it: a copy of its slot's description plus its progress. Pooled: taken
 * from and returned to a free list owned by the event loop, so the steady state allocates no request objects.
 * <p>
 * Threads: event loop only. As a {@link Runnable} it is its own deadline timer.
 */
final class RangeRequest implements Runnable
{
    /** In the free list. */
    static final int FREE = 0;
    /** Waiting for a connection. */
    static final int QUEUED = 1;
    /** Bound to a connection (connecting, sent, or receiving). */
    static final int ACTIVE = 2;
    /** Waiting out a back-off before it is queued again (daemon initialising). */
    static final int BACKOFF = 3;

    private final NettyRangeTransport transport;
    /** Re-queues the request after a back-off. */
    final Runnable retryTask;

    int state = FREE;
    int slot;
    long generation;
    StreamTarget target;
    long offset;
    int length;
    long deadlineNanos;

    /** Bytes delivered into the destination so far. */
    int written;
    /** Asks {@code bytes=S-} (legacy daemon) instead of {@code bytes=S-E}. */
    boolean openEnded;
    /** Back-off rounds spent on "initializing" answers. */
    int initializingRetries;
    /** Times re-sent because a reused keep-alive connection died before answering. */
    int staleConnectionRetries;
    /** Last {@link io.fuseengine.core.read.PieceAvailability} verdict of the bytes still to come. */
    int verdict;
    /** Holds one of the connections reserved to reads not known to be available (counted by the transport). */
    boolean limited;

    StreamConnection connection;
    ScheduledFuture<?> deadlineTimer;
    ScheduledFuture<?> retryTimer;
    RangeRequest nextFree;

    RangeRequest(final NettyRangeTransport transport)
    {
        this.transport = transport;
        this.retryTask = () -> transport.onRetryDue(this);
    }

    void init(
        final int slot, final long generation, final StreamTarget target, final long offset, final int length,
        final long deadlineNanos, final boolean openEnded)
    {
        this.slot = slot;
        this.generation = generation;
        this.target = target;
        this.offset = offset;
        this.length = length;
        this.deadlineNanos = deadlineNanos;
        this.openEnded = openEnded;
        this.written = 0;
        this.initializingRetries = 0;
        this.staleConnectionRetries = 0;
        this.verdict = io.fuseengine.core.read.PieceAvailability.AVAILABLE;
        this.limited = false;
        this.connection = null;
    }

    void clear()
    {
        state = FREE;
        target = null;
        connection = null;
        cancelTimers();
    }

    void cancelTimers()
    {
        if (deadlineTimer != null)
        {
            deadlineTimer.cancel(false);
            deadlineTimer = null;
        }
        if (retryTimer != null)
        {
            retryTimer.cancel(false);
            retryTimer = null;
        }
    }

    /** Last byte wanted, inclusive. */
    long lastByte()
    {
        return offset + length - 1;
    }

    /** Deadline timer. */
    @Override
    public void run()
    {
        transport.onDeadline(this);
    }

    @Override
    public String toString()
    {
        return (target == null ? "?" : target.description() + " (file #" + target.fileIndex() + ")")
            + " offset " + offset + " length " + length;
    }
}
