package io.fuseengine.core.read;

/**
 * Fetches byte ranges of torrent files and completes read slots with them.
 * <p>
 * Threads: {@link #submit} is called by the ring's single consumer thread only and must not block; the transport
 * then completes the request exactly once, from any of its own threads, through the {@link ReadCompletion} it was
 * given at {@link #start}: bytes written straight into the slot's destination, or an errno. A request whose deadline
 * passes must be failed with ETIMEDOUT (or abandoned by the waiter) and its connection closed.
 */
public interface RangeTransport extends AutoCloseable
{
    /**
     * Called once, before the first {@link #submit}.
     *
     * @param completion the slots this transport completes.
     */
    void start(ReadCompletion completion);

    /**
     * Gives the transport the engine's piece availability, before {@link #start}: a transport that uses it admits
     * reads of pieces rqbit has ahead of the others and fails reads of a paused torrent's missing pieces at once
     * (EAGAIN). The default ignores it (every read is treated alike).
     *
     * @param availability the engine's piece availability.
     */
    default void pieceAvailability(final PieceAvailability availability)
    {
    }

    /**
     * Takes a request. Reads its description from the slot; the request is (slot, generation).
     */
    void submit(int slot, long generation);

    @Override
    void close();
}
