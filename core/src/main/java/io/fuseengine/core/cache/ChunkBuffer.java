package io.fuseengine.core.cache;

import net.openhft.chronicle.bytes.BytesStore;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

import static io.fuseengine.core.cache.ChunkLayout.*;

/**
 * A page-aligned direct buffer laid out exactly as one cache entry's value ({@link ChunkLayout}): a
 * {@link ChunkLayout#HEADER_LENGTH header} followed by room for one chunk. A fetch writes the chunk's bytes at
 * {@link #payloadAddress()}; {@link ChunkCache#put(CacheFileIdentity, long, ChunkBuffer, int)} then fills in the
 * header (and checksum) in place and inserts the whole value with a single copy, into the map. Without it, a chunk
 * would be copied twice on its way into the map (fetch buffer → staging → map).
 * <p>
 * Threads: owned by one thread at a time (a fetcher, or a reader that borrowed it from a pool); not thread-safe.
 * Allocated once, at start, never freed before the JVM exits (a direct buffer's memory is released with it).
 */
public final class ChunkBuffer
{
    private final int capacity;
    private final ByteBuffer buffer;
    private final ByteBuffer payloadView;
    private final long payloadAddress;
    final BytesStore<?, ByteBuffer> store;
    final UnsafeBuffer view;
    private final CRC32C crc = new CRC32C();

    /**
     * @param chunkCapacity the largest payload it holds: the cache's chunk size.
     */
    public ChunkBuffer(final int chunkCapacity)
    {
        if (chunkCapacity <= 0)
        {
            throw new IllegalArgumentException("chunkCapacity=" + chunkCapacity);
        }
        this.capacity = chunkCapacity;
        this.buffer = BufferUtil.allocateDirectAligned(HEADER_LENGTH + chunkCapacity, 4096);
        this.payloadView = buffer.duplicate();
        this.payloadAddress = BufferUtil.address(buffer) + HEADER_LENGTH;
        this.store = BytesStore.wrap(buffer);
        this.view = new UnsafeBuffer(buffer);
    }

    /** Native address of the payload: where a fetch writes the chunk's bytes. */
    public long payloadAddress()
    {
        return payloadAddress;
    }

    /** Payload bytes it can hold. */
    public int capacity()
    {
        return capacity;
    }

    /** CRC-32C of the first {@code length} payload bytes. Allocation-free. */
    int payloadCrc(final int length)
    {
        final ByteBuffer b = payloadView;
        b.limit(HEADER_LENGTH + length).position(HEADER_LENGTH);
        crc.reset();
        crc.update(b);
        b.clear();
        return (int)crc.getValue();
    }

    /** Writes the entry header for {@code length} payload bytes of chunk {@code chunkIndex} of {@code file}. */
    void writeHeader(final CacheFileIdentity file, final long chunkIndex, final int length, final int payloadCrc)
    {
        writeHeader(view, ENTRY_MAGIC, file, chunkIndex, length, payloadCrc);
    }

    /** Writes an entry header with {@code magic} at index 0 of {@code header}. */
    static void writeHeader(
        final UnsafeBuffer header, final int magic, final CacheFileIdentity file, final long chunkIndex, final int length,
        final int payloadCrc)
    {
        header.putInt(ENTRY_MAGIC_OFFSET, magic);
        header.putInt(PAYLOAD_LENGTH_OFFSET, length);
        header.putLong(INFO_HASH_HIGH_OFFSET, file.infoHashHigh());
        header.putLong(INFO_HASH_MIDDLE_OFFSET, file.infoHashMiddle());
        header.putInt(INFO_HASH_LOW_OFFSET, file.infoHashLow());
        header.putInt(FILE_INDEX_OFFSET, file.fileIndex());
        header.putLong(CHUNK_INDEX_OFFSET, chunkIndex);
        header.putLong(FILE_LENGTH_OFFSET, file.fileLength());
        header.putInt(PAYLOAD_CRC_OFFSET, payloadCrc);
        header.setMemory(PAYLOAD_CRC_OFFSET + Integer.BYTES, HEADER_LENGTH - PAYLOAD_CRC_OFFSET - Integer.BYTES, (byte)0);
    }
}
