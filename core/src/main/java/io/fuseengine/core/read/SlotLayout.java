package io.fuseengine.core.read;

/**
 * Memory layout of one read slot in the {@link ReadSlots} metadata buffer, and the encoding of its state word.
 * <p>
 * Each slot owns {@link #SLOT_STRIDE} bytes (two cache lines, so neighbouring slots never share a line even with
 * the adjacent-line prefetcher):
 * <pre>
 *   0  state word (long): generation &lt;&lt; STATE_BITS | state     -- CAS / volatile
 *   8  errno (int)                                                 -- written while WRITING
 *  12  length (int): bytes delivered so far, then the result       -- written while WRITING (release)
 *  16  destination address (long): native buffer the bytes go to  -- written by the claimer before publish
 *  24  request offset in the file (long)                           -- written by the claimer before publish
 *  32  request length (int)                                        -- written by the claimer before publish
 *  40  deadline (long, System.nanoTime)                            -- written by the claimer before publish
 *  48  wake-at (int): lowest delivered count a progress waiter      -- lowered by waiters (CAS), reset by the
 *      is parked for ({@link Integer#MAX_VALUE}: none)                 transport when it wakes them (CAS)
 * </pre>
 */
public final class SlotLayout
{
    public static final int STATE_WORD_OFFSET = 0;
    public static final int ERRNO_OFFSET = 8;
    public static final int RESULT_LENGTH_OFFSET = 12;
    public static final int DEST_ADDRESS_OFFSET = 16;
    public static final int REQUEST_OFFSET_OFFSET = 24;
    public static final int REQUEST_LENGTH_OFFSET = 32;
    public static final int DEADLINE_OFFSET = 40;
    public static final int WAKE_AT_OFFSET = 48;
    public static final int SLOT_STRIDE = 128;

    /** Low bits of the state word hold the state; the rest the generation. */
    public static final int STATE_BITS = 3;
    public static final long STATE_MASK = (1L << STATE_BITS) - 1;

    /** Nobody owns the slot. */
    public static final long FREE = 0;
    /** Claimed by a waiter; the request may be in the ring or at the transport. */
    public static final long PENDING = 1;
    /** The transport is copying bytes into the destination: the waiter must not give the slot up. */
    public static final long WRITING = 2;
    /** Result (errno, length) published; only the waiter touches the slot now. */
    public static final long COMPLETE = 3;

    /** Largest single read a slot carries (FUSE reads are at most 128 KiB with libfuse 2; leave headroom). */
    public static final int MAX_READ_LENGTH = 16 * 1024 * 1024;

    private SlotLayout()
    {
    }

    static long word(final long generation, final long state)
    {
        return (generation << STATE_BITS) | state;
    }

    static long generationOf(final long word)
    {
        return word >>> STATE_BITS;
    }

    static long stateOf(final long word)
    {
        return word & STATE_MASK;
    }
}
