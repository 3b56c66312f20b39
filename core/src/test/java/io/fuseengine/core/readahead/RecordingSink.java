package io.fuseengine.core.readahead;

import io.fuseengine.core.read.ReadSink;
import org.agrona.concurrent.UnsafeBuffer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A {@link ReadSink} that keeps what it is handed: {@link #take} copies the bytes (as a FUSE reply's write would)
 * into the same buffer {@link #destination} lends out, so a test reads the result in one place and knows which way
 * it came.
 */
final class RecordingSink implements ReadSink
{
    final UnsafeBuffer bytes;
    int taken;
    int destinations;
    int takenLength = -1;

    RecordingSink(final int capacity)
    {
        this.bytes = Rig.buffer(capacity);
    }

    /** Forgets the last read, and fills the buffer with a pattern no file has. */
    RecordingSink reset()
    {
        taken = 0;
        destinations = 0;
        takenLength = -1;
        bytes.setMemory(0, bytes.capacity(), (byte)0x5A);
        return this;
    }

    @Override
    public void take(final long address, final int length)
    {
        assertThat(taken).as("take called once per read").isZero();
        taken++;
        takenLength = length;
        bytes.putBytes(0, new UnsafeBuffer(address, length), 0, length);
    }

    @Override
    public long destination(final int length)
    {
        assertThat(length).isLessThanOrEqualTo(bytes.capacity());
        destinations++;
        return bytes.addressOffset();
    }
}
