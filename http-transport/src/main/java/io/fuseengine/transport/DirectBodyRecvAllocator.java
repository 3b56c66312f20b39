package io.fuseengine.transport;

import com.kenai.jffi.MemoryIO;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.util.UncheckedBooleanSupplier;
import io.netty.util.internal.PlatformDependent;

/**
 * One connection's receive-buffer allocator: while the connection is streaming a response body
 * ({@link StreamConnection#openDirectWrite}), the socket is read straight into the request's destination (the FUSE
 * buffer or the chunk's reserved cache entry) instead of into a pooled buffer the body would then be copied out of.
 * Headers, error bodies and short tails go through ordinary pooled buffers.
 * <p>
 * The destination is written only inside a {@code beginWrite}/{@code endWrite} bracket of the request's slot: opened
 * by {@link Handle#allocate} just before the read, closed by {@link Handle#lastBytesRead} right after it (or by
 * {@link Handle#readComplete} when the read threw). The bytes become the request's only when the HTTP decoder hands
 * them on as body content and {@link StreamConnection} accounts for them under a new bracket, as for any other
 * content (it then finds them already in place and skips its copy). A waiter that gave up meanwhile makes that
 * second bracket fail, and the bytes are never published.
 * <p>
 * Threads: the connection's event loop only.
 */
final class DirectBodyRecvAllocator implements RecvByteBufAllocator
{
    /** Below this many body bytes left, a pooled buffer is as good (and the tail may share a read with the next). */
    static final int MIN_DIRECT_BYTES = 16 * 1024;
    /** Largest single direct read (the kernel returns what the socket holds, at most this). */
    static final int MAX_DIRECT_BYTES = 1024 * 1024;

    private final StreamConnection connection;
    private final RecvByteBufAllocator fallback;

    DirectBodyRecvAllocator(final StreamConnection connection)
    {
        this(connection, new AdaptiveRecvByteBufAllocator());
    }

    DirectBodyRecvAllocator(final StreamConnection connection, final RecvByteBufAllocator fallback)
    {
        this.connection = connection;
        this.fallback = fallback;
    }

    private static final boolean SUPPORTED = probe();

    /**
     * Whether direct reads are possible in this JVM: they need Netty buffers that wrap a raw address, which Netty
     * builds only with {@code Unsafe} (on Java 24+ it may run without it).
     */
    static boolean supported()
    {
        return SUPPORTED;
    }

    private static boolean probe()
    {
        if (!PlatformDependent.hasUnsafe())
        {
            return false;
        }
        final java.nio.ByteBuffer memory = java.nio.ByteBuffer.allocateDirect(64);
        try
        {
            final long address = PlatformDependent.directBufferAddress(memory);
            final ByteBuf wrapped = wrap(address, 64);
            final boolean ok = wrapped.hasMemoryAddress() && wrapped.memoryAddress() == address;
            wrapped.release();
            return ok;
        }
        catch (final RuntimeException | LinkageError ex)
        {
            return false;
        }
    }

    /**
     * A Netty buffer over {@code length} bytes at {@code address}, which it never frees: a {@code ByteBuffer} made by
     * JNI's {@code NewDirectByteBuffer} (jffi), wrapped. Netty's own {@code wrappedBuffer(address, ...)} needs the
     * {@code io.netty.tryReflectionSetAccessible} property, which changes how Netty allocates every direct buffer.
     */
    private static ByteBuf wrap(final long address, final int length)
    {
        return Unpooled.wrappedBuffer(MemoryIO.getInstance().newDirectByteBuffer(address, length));
    }

    @Override
    public Handle newHandle()
    {
        return new Handle((ExtendedHandle)fallback.newHandle(), connection);
    }

    /** Delegates sizing and the read loop's bookkeeping to the fallback's handle; only {@link #allocate} differs. */
    static final class Handle implements ExtendedHandle
    {
        private final ExtendedHandle delegate;
        private final StreamConnection connection;

        Handle(final ExtendedHandle delegate, final StreamConnection connection)
        {
            this.delegate = delegate;
            this.connection = connection;
        }

        @Override
        public ByteBuf allocate(final ByteBufAllocator alloc)
        {
            final long address = connection.openDirectWrite(MIN_DIRECT_BYTES, MAX_DIRECT_BYTES);
            if (address != 0)
            {
                // a wrapped buffer starts out "full" (its bytes readable): empty it, so the read may fill it
                return wrap(address, connection.directWriteCapacity()).clear();
            }
            return delegate.allocate(alloc);
        }

        @Override
        public void lastBytesRead(final int bytes)
        {
            connection.closeDirectWrite();
            delegate.lastBytesRead(bytes);
        }

        @Override
        public void readComplete()
        {
            connection.closeDirectWrite(); // a read that threw never reached lastBytesRead
            delegate.readComplete();
        }

        @Override
        public int guess()
        {
            return delegate.guess();
        }

        @Override
        public void reset(final io.netty.channel.ChannelConfig config)
        {
            delegate.reset(config);
        }

        @Override
        public void incMessagesRead(final int numMessages)
        {
            delegate.incMessagesRead(numMessages);
        }

        @Override
        public int lastBytesRead()
        {
            return delegate.lastBytesRead();
        }

        @Override
        public void attemptedBytesRead(final int bytes)
        {
            delegate.attemptedBytesRead(bytes);
        }

        @Override
        public int attemptedBytesRead()
        {
            return delegate.attemptedBytesRead();
        }

        @Override
        public boolean continueReading()
        {
            return delegate.continueReading();
        }

        @Override
        public boolean continueReading(final UncheckedBooleanSupplier maybeMoreDataSupplier)
        {
            return delegate.continueReading(maybeMoreDataSupplier);
        }
    }
}
