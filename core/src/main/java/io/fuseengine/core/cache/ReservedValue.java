package io.fuseengine.core.cache;

import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.bytes.RandomDataInput;
import net.openhft.chronicle.bytes.RandomDataOutput;
import net.openhft.chronicle.hash.AbstractData;
import org.agrona.concurrent.UnsafeBuffer;

import static io.fuseengine.core.cache.ChunkLayout.HEADER_LENGTH;

/**
 * The value a {@link ChunkReservation} inserts: {@link ChunkLayout#HEADER_LENGTH} header bytes plus room for the
 * payload, of which Chronicle Map writes only the header ({@link #writeTo}). The payload is left as the map's memory
 * was; the fetch fills it afterwards, straight from the network. Chronicle Map uses only {@link #size()} and
 * {@link #writeTo} of a value being inserted.
 * <p>
 * Threads: the cache's writer only (under its lock); one instance, reused.
 */
final class ReservedValue extends AbstractData<byte[]>
{
    private final BytesStore<?, Void> header = BytesStore.nativeStoreWithFixedCapacity(HEADER_LENGTH);
    final UnsafeBuffer headerView = new UnsafeBuffer(header.addressForWrite(0), HEADER_LENGTH);
    private long size;

    /** Sets the value's size: header plus {@code payloadLength}; the caller writes the header into {@link #headerView}. */
    ReservedValue ofPayload(final int payloadLength)
    {
        this.size = HEADER_LENGTH + (long)payloadLength;
        return this;
    }

    @Override
    public RandomDataInput bytes()
    {
        return header;
    }

    @Override
    public long offset()
    {
        return 0;
    }

    @Override
    public long size()
    {
        return size;
    }

    @Override
    public void writeTo(final RandomDataOutput target, final long targetOffset)
    {
        target.write(targetOffset, header, 0L, HEADER_LENGTH);
    }

    @Override
    public byte[] get()
    {
        throw new UnsupportedOperationException("a reserved value is written, never read");
    }

    @Override
    public byte[] getUsing(final byte[] using)
    {
        throw new UnsupportedOperationException("a reserved value is written, never read");
    }

    void release()
    {
        header.releaseLast();
    }
}
