package io.fuseengine.core.cache;

import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.CRC32C;

import static io.fuseengine.core.cache.ChunkLayout.*;

/**
 * The format side-car of a persisted cache file: proves a map file was written by this cache, with this chunk
 * size, geometry and format version, and was not truncated since. Layout in {@link ChunkLayout}.
 * <p>
 * Threads: called while the cache is opened, by the opening thread only.
 */
final class CacheFileFormat
{
    private CacheFileFormat()
    {
    }

    static Path sideCarOf(final Path cacheFile)
    {
        return cacheFile.resolveSibling(cacheFile.getFileName() + FORMAT_SUFFIX);
    }

    /**
     * @return the state recorded in a side-car {@link #problemWith} accepted: {@link ChunkLayout#STATE_OPEN} or
     * {@link ChunkLayout#STATE_CLOSED}; {@link ChunkLayout#STATE_OPEN} if it cannot be read.
     */
    static int stateOf(final Path cacheFile)
    {
        try
        {
            final byte[] bytes = Files.readAllBytes(sideCarOf(cacheFile));
            final UnsafeBuffer b = new UnsafeBuffer(ByteBuffer.allocateDirect(FORMAT_FILE_LENGTH).order(ByteOrder.nativeOrder()));
            b.putBytes(0, bytes, 0, Math.min(bytes.length, FORMAT_FILE_LENGTH));
            return b.getInt(FILE_STATE_OFFSET) == STATE_CLOSED ? STATE_CLOSED : STATE_OPEN;
        }
        catch (final IOException ex)
        {
            return STATE_OPEN;
        }
    }

    /**
     * Writes the side-car atomically (temporary file, then rename) after the map file was created.
     */
    static void write(final Path cacheFile, final ChunkCacheConfig config, final int state) throws IOException
    {
        final ByteBuffer bb = ByteBuffer.allocateDirect(FORMAT_FILE_LENGTH).order(ByteOrder.nativeOrder());
        final UnsafeBuffer b = new UnsafeBuffer(bb);
        b.putLong(FILE_MAGIC_OFFSET, FILE_MAGIC);
        b.putInt(FILE_VERSION_OFFSET, FORMAT_VERSION);
        b.putInt(FILE_CHUNK_SIZE_OFFSET, config.chunkSize());
        b.putInt(FILE_SEGMENTS_OFFSET, config.segments());
        b.putInt(FILE_CHUNKS_PER_SEGMENT_OFFSET, config.chunksPerSegment());
        b.putInt(FILE_HEADER_LENGTH_OFFSET, HEADER_LENGTH);
        b.putInt(FILE_UNIT_SIZE_OFFSET, config.mapUnitSize());
        b.putLong(FILE_MAP_LENGTH_OFFSET, Files.size(cacheFile));
        b.putInt(FILE_STATE_OFFSET, state);
        final byte[] bytes = new byte[FORMAT_FILE_LENGTH];
        b.getBytes(0, bytes);
        b.putInt(FILE_CRC_OFFSET, crcOfFields(bytes));
        b.getBytes(0, bytes);
        final Path sideCar = sideCarOf(cacheFile);
        final Path tmp = sideCar.resolveSibling(sideCar.getFileName() + ".tmp");
        Files.write(tmp, bytes);
        Files.move(tmp, sideCar, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static int crcOfFields(final byte[] bytes)
    {
        final CRC32C crc = new CRC32C();
        crc.update(bytes, 0, FILE_CRC_OFFSET);
        return (int)crc.getValue();
    }

    /**
     * @return why {@code cacheFile} must not be opened with {@code config}, or null if its side-car matches.
     */
    static String problemWith(final Path cacheFile, final ChunkCacheConfig config)
    {
        final Path sideCar = sideCarOf(cacheFile);
        final byte[] bytes;
        final long mapLength;
        try
        {
            if (!Files.isRegularFile(sideCar))
            {
                return "no format side-car " + sideCar.getFileName() + " (foreign file or interrupted creation)";
            }
            bytes = Files.readAllBytes(sideCar);
            mapLength = Files.size(cacheFile);
        }
        catch (final IOException ex)
        {
            return "cannot read: " + ex;
        }
        if (bytes.length != FORMAT_FILE_LENGTH)
        {
            return "format side-car has " + bytes.length + " bytes, expected " + FORMAT_FILE_LENGTH;
        }
        final ByteBuffer bb = ByteBuffer.allocateDirect(FORMAT_FILE_LENGTH).order(ByteOrder.nativeOrder());
        final UnsafeBuffer b = new UnsafeBuffer(bb);
        b.putBytes(0, bytes);
        if (b.getLong(FILE_MAGIC_OFFSET) != FILE_MAGIC)
        {
            return "format side-car has a foreign magic";
        }
        if (b.getInt(FILE_CRC_OFFSET) != crcOfFields(bytes))
        {
            return "format side-car checksum mismatch";
        }
        if (b.getInt(FILE_VERSION_OFFSET) != FORMAT_VERSION)
        {
            return "format version " + b.getInt(FILE_VERSION_OFFSET) + ", this build reads " + FORMAT_VERSION;
        }
        if (b.getInt(FILE_CHUNK_SIZE_OFFSET) != config.chunkSize())
        {
            return "chunk size " + b.getInt(FILE_CHUNK_SIZE_OFFSET) + ", configured " + config.chunkSize();
        }
        if (b.getInt(FILE_SEGMENTS_OFFSET) != config.segments()
            || b.getInt(FILE_CHUNKS_PER_SEGMENT_OFFSET) != config.chunksPerSegment())
        {
            return "geometry " + b.getInt(FILE_SEGMENTS_OFFSET) + "x" + b.getInt(FILE_CHUNKS_PER_SEGMENT_OFFSET)
                + ", configured " + config.segments() + "x" + config.chunksPerSegment() + " (budget changed?)";
        }
        if (b.getInt(FILE_HEADER_LENGTH_OFFSET) != HEADER_LENGTH || b.getInt(FILE_UNIT_SIZE_OFFSET) != config.mapUnitSize())
        {
            return "entry layout differs";
        }
        final long expectedLength = b.getLong(FILE_MAP_LENGTH_OFFSET);
        if (mapLength < expectedLength)
        {
            return "truncated: " + mapLength + " bytes, created with " + expectedLength;
        }
        final int state = b.getInt(FILE_STATE_OFFSET);
        if (state != STATE_OPEN && state != STATE_CLOSED)
        {
            return "unknown state " + state;
        }
        return null;
    }
}
