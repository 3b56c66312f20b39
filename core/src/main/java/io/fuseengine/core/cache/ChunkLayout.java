package io.fuseengine.core.cache;

/**
 * Every memory and file layout of the chunk cache, in one place.
 *
 * <h2>Value of one map entry (one chunk)</h2>
 * A 64-byte header followed by the chunk's bytes. The header carries the chunk's full identity so that a reader
 * can prove the bytes belong to the file and chunk it asked for: map keys are 64-bit hashes and may collide.
 * <pre>
 *   0  entry magic (int)                       {@link #ENTRY_MAGIC}, also the entry format version; {@link #FILLING_MAGIC}
 *                                              while a fetch is still writing the payload (a {@link ChunkReservation})
 *   4  payload length (int)                    bytes of the chunk; &lt; chunk size only for a file's last chunk
 *   8  info hash bytes 0..7   (long)           big-endian packing of the hex digits
 *  16  info hash bytes 8..15  (long)
 *  24  info hash bytes 16..19 (int)
 *  28  file index (int)
 *  32  chunk index (long)
 *  40  file length (long)
 *  48  payload CRC-32C (int)                   verified when a persisted file is reopened
 *  52  reserved (12 bytes, zero)
 *  64  payload
 * </pre>
 * All fields are in native byte order (the persisted file is not portable between architectures; it is a cache).
 *
 * <h2>Format side-car of a persisted cache file ({@code <cacheFile>.format})</h2>
 * <pre>
 *   0  file magic (long)                       {@link #FILE_MAGIC}
 *   8  format version (int)                    {@link #FORMAT_VERSION}
 *  12  chunk size (int)
 *  16  segments (int)
 *  20  chunks per segment (int)
 *  24  entry header length (int)
 *  28  map allocation unit (int)
 *  32  map file length when written (long)
 *  40  state (int)                            {@link #STATE_OPEN} while a process uses the file, {@link #STATE_CLOSED} after a clean close
 *  44  CRC-32C of bytes 0..43 (int)
 * </pre>
 */
public final class ChunkLayout
{
    /** 'FEC1': fuse-engine chunk, entry format 1. */
    public static final int ENTRY_MAGIC = 0x46454331;
    /**
     * 'FEF1': an entry reserved for a fetch still writing its payload. Never served; dropped when a persisted file
     * is recovered (the process died mid-fetch).
     */
    public static final int FILLING_MAGIC = 0x46454631;

    public static final int ENTRY_MAGIC_OFFSET = 0;
    public static final int PAYLOAD_LENGTH_OFFSET = 4;
    public static final int INFO_HASH_HIGH_OFFSET = 8;
    public static final int INFO_HASH_MIDDLE_OFFSET = 16;
    public static final int INFO_HASH_LOW_OFFSET = 24;
    public static final int FILE_INDEX_OFFSET = 28;
    public static final int CHUNK_INDEX_OFFSET = 32;
    public static final int FILE_LENGTH_OFFSET = 40;
    public static final int PAYLOAD_CRC_OFFSET = 48;
    /** Header length; the payload starts here (cache-line aligned relative to the value start). */
    public static final int HEADER_LENGTH = 64;

    /**
     * Bytes Chronicle Map adds around a value inside one entry (8-byte key, stop-bit value size, alignment), with
     * slack. One map allocation unit holds one full chunk, so no entry ever spans two units and the allocator never
     * fragments.
     */
    public static final int MAP_ENTRY_OVERHEAD = 64;

    /** "FECCHUNK". */
    public static final long FILE_MAGIC = 0x464543434855_4E4BL;
    public static final int FORMAT_VERSION = 1;

    public static final int FILE_MAGIC_OFFSET = 0;
    public static final int FILE_VERSION_OFFSET = 8;
    public static final int FILE_CHUNK_SIZE_OFFSET = 12;
    public static final int FILE_SEGMENTS_OFFSET = 16;
    public static final int FILE_CHUNKS_PER_SEGMENT_OFFSET = 20;
    public static final int FILE_HEADER_LENGTH_OFFSET = 24;
    public static final int FILE_UNIT_SIZE_OFFSET = 28;
    public static final int FILE_MAP_LENGTH_OFFSET = 32;
    public static final int FILE_STATE_OFFSET = 40;
    public static final int FILE_CRC_OFFSET = 44;
    public static final int FORMAT_FILE_LENGTH = 48;

    /** The map file is (or was, if the process died) in use: reopen it with Chronicle's crash recovery. */
    public static final int STATE_OPEN = 1;
    /** The map file was closed cleanly: reopen it normally. */
    public static final int STATE_CLOSED = 2;

    /** Suffix of the side-car that describes a persisted map file. */
    public static final String FORMAT_SUFFIX = ".format";

    private ChunkLayout()
    {
    }

    /**
     * @param chunkSize payload capacity of one chunk.
     * @return the Chronicle Map allocation unit that holds exactly one entry of a full chunk.
     */
    public static int mapUnitSize(final int chunkSize)
    {
        return HEADER_LENGTH + chunkSize + MAP_ENTRY_OVERHEAD;
    }
}
