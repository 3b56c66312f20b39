package io.fuseengine.core.readahead;

import io.fuseengine.core.cache.CacheFileIdentity;
import io.fuseengine.core.read.StreamTarget;

/**
 * One whole-chunk fetch, queued or in flight: a pooled record (a fixed number exist; they are reused, never
 * allocated on the read path). While it is in the {@link InFlightChunks} table, readers of the chunk wait on it
 * instead of asking the backend again.
 * <pre>
 *   FREE --claim--> CLAIMED --in table--> QUEUED --fetcher or stealing reader--> RUNNING --> DONE --no waiters--> FREE
 *                      '--(foreground fetch)--> RUNNING                 QUEUED --cancel--> RUNNING --> DONE (ECANCELED)
 * </pre>
 * Threads: every field except {@link #state}, {@link #ticket}, {@link #cancelRequested} and {@link #owner} is
 * written under this object's monitor (or by the one thread that owns the record in CLAIMED/RUNNING before it is
 * published); the table and the fetchers read the volatile ones without it and confirm under the monitor. Waiters
 * block on the monitor ({@code wait/notifyAll}); the record is recycled only once DONE with no waiter left.
 * Progressive readers of a RUNNING fetch hold no claim on the record while they watch its ticket's progress; they
 * prove it is still the same fetch (same ticket: tickets never repeat) under the monitor before copying, and
 * count themselves in {@link #copiers} while they copy.
 */
final class ChunkFetch
{
    static final int FREE = 0;
    static final int CLAIMED = 1;
    static final int QUEUED = 2;
    static final int RUNNING = 3;
    static final int DONE = 4;

    /** A reader is waiting for it now (queued by a miss, or joined while queued): fetchers take it first. */
    static final int PRIORITY_FOREGROUND = -1;
    static final int PRIORITY_READ_AHEAD = 0;
    static final int PRIORITY_PROBE = 1;

    final int id;

    volatile int state = FREE;
    /** Ticket of the backend request in flight (ReadPipeline), or -1. */
    volatile long ticket = -1;
    volatile boolean cancelRequested;
    /** Stream whose read-ahead queued it (null for a foreground fetch): that stream's seek or close cancels it. */
    volatile OpenStream owner;

    CacheFileIdentity file;
    StreamTarget target;
    long chunkIndex;
    int chunkLength;
    /** Queued by read-ahead or probe prefetch (not by a reader that needs it now). */
    boolean readAhead;
    /** A reader runs it or waits on it: not cancellable. */
    boolean needed;
    int priority;
    long sequence;
    int waiters;
    /**
     * Readers copying their part out of the destination of this RUNNING fetch (see
     * {@code StreamingReader#joinProgressively}); the owner does not let the destination go while any are.
     */
    int copiers;
    /**
     * Native address the RUNNING fetch writes the chunk to (its reserved cache entry's payload, or a staging buffer);
     * written before {@link #ticket}.
     */
    long destinationAddress;
    /** Positive errno once DONE and failed, 0 once DONE and resident. */
    int errno;

    ChunkFetch(final int id)
    {
        this.id = id;
    }

    /** Under the monitor: is this the fetch of (file, chunk), not yet done? */
    boolean isPendingFetchOf(final CacheFileIdentity f, final long chunk)
    {
        final int s = state;
        return s != FREE && s != DONE && chunkIndex == chunk && f.equals(file);
    }

    /** Under the monitor, from CLAIMED by its claimer. */
    void describe(
        final CacheFileIdentity file,
        final StreamTarget target,
        final long chunkIndex,
        final int chunkLength,
        final OpenStream owner,
        final boolean readAhead,
        final int priority,
        final long sequence)
    {
        this.file = file;
        this.target = target;
        this.chunkIndex = chunkIndex;
        this.chunkLength = chunkLength;
        this.owner = owner;
        this.readAhead = readAhead;
        this.needed = !readAhead;
        this.priority = priority;
        this.sequence = sequence;
        this.waiters = 0;
        this.copiers = 0;
        this.destinationAddress = 0;
        this.errno = 0;
        this.cancelRequested = false;
        this.ticket = -1;
    }

    /** Under the monitor, when DONE with no waiter: forget the chunk so the record can be reused. */
    void clear()
    {
        file = null;
        target = null;
        owner = null;
        ticket = -1;
        state = FREE;
    }

    @Override
    public String toString()
    {
        return "ChunkFetch{" + id + ", state=" + state + ", chunk=" + chunkIndex + " of " + file + '}';
    }
}
