package io.fuseengine.bench.bridge;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

/**
 * The "backend": a pre-filled direct buffer every rival copies from, so all of them move the same bytes and the
 * only difference is how the request and the completion travel between threads.
 */
public final class SourceBytes
{
    private final ByteBuffer buffer;
    private final UnsafeBuffer view;
    private final long address;

    /**
     * @param length bytes; filled with a position-dependent pattern (see {@link #expected}).
     */
    public SourceBytes(final int length)
    {
        this.buffer = BufferUtil.allocateDirectAligned(length, 4096);
        this.view = new UnsafeBuffer(buffer);
        this.address = view.addressOffset();
        for (int i = 0; i < length; i++)
        {
            view.putByte(i, expected(i));
        }
    }

    /** @return the byte at {@code position} of the source. */
    public static byte expected(final long position)
    {
        return (byte)(position * 31 + (position >>> 8) * 7 + (position >>> 16));
    }

    public long address()
    {
        return address;
    }

    public int length()
    {
        return view.capacity();
    }

    /**
     * Checks that {@code length} bytes at {@code destAddress} equal the source at {@code offset}.
     *
     * @throws IllegalStateException on the first mismatch.
     */
    public static void verify(final long offset, final int length, final long destAddress)
    {
        final UnsafeBuffer dest = new UnsafeBuffer(destAddress, length);
        for (int i = 0; i < length; i++)
        {
            if (dest.getByte(i) != expected(offset + i))
            {
                throw new IllegalStateException("wrong byte at offset " + (offset + i));
            }
        }
    }
}
