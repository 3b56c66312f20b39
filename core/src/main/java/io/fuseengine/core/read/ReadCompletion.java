package io.fuseengine.core.read;

/**
 * What a transport may do with a read slot it was handed through the ring. Every method takes the slot index and
 * the generation the request was published with; a call whose generation no longer matches (the waiter timed out
 * and the slot was reused) does nothing and returns false, so a late completion can never touch a reused slot.
 * <p>
 * Threads: called by the transport's thread(s) only (the ring consumer or the Netty event loop). Writing bytes is
 * bracketed by {@link #beginWrite}/{@link #endWrite}; while a write is open the waiter cannot abandon the slot, so
 * the destination memory stays valid.
 */
public interface ReadCompletion
{
    /**
     * @return true if the request (slot, generation) is still waiting for its bytes.
     */
    boolean isPending(int slot, long generation);

    /**
     * Opens a write: PENDING → WRITING. Must be followed by {@link #endWrite}, {@link #completeWrite} or
     * {@link #failWrite} on the same thread, promptly (one memory copy).
     *
     * @return false if the waiter has gone (timed out) or the request already completed: write nothing.
     */
    boolean beginWrite(int slot, long generation);

    /**
     * Closes a write without completing: WRITING → PENDING, publishing that the destination's first
     * {@code delivered} bytes are final (they are never rewritten), so a thread watching the request's progress
     * ({@link ReadSlots#delivered}) may copy them out before the request completes.
     */
    void endWrite(int slot, long generation, int delivered);

    /** Closes a write and completes the request with {@code length} bytes delivered: WRITING → COMPLETE. */
    void completeWrite(int slot, long generation, int length);

    /** Closes a write and fails the request: WRITING → COMPLETE with errno. */
    void failWrite(int slot, long generation, int errno);

    /**
     * Completes with {@code length} bytes already written by earlier writes.
     *
     * @return false if the waiter had gone.
     */
    boolean complete(int slot, long generation, int length);

    /**
     * Fails the request with a positive errno.
     *
     * @return false if the waiter had gone.
     */
    boolean fail(int slot, long generation, int errno);

    /** @return native address the bytes of this request go to (valid only inside a write). */
    long destAddress(int slot);

    /** @return offset in the file of the first byte requested. */
    long requestOffset(int slot);

    /** @return number of bytes requested. */
    int requestLength(int slot);

    /** @return deadline of the request, in {@link System#nanoTime()} terms. */
    long deadlineNanos(int slot);

    /** @return the file the request reads. */
    StreamTarget target(int slot);
}
