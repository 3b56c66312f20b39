package io.fuseengine.core.cache;

import io.fuseengine.core.read.ReadSink;
import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.hash.Data;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import net.openhft.chronicle.map.MapEntry;
import net.openhft.chronicle.map.MapSegmentContext;
import org.agrona.DirectBuffer;
import org.agrona.UnsafeApi;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;

import static io.fuseengine.core.cache.ChunkLayout.*;

/**
 * Off-heap read-ahead chunk cache: complete, verified chunks of torrent files, kept in a Chronicle Map under one
 * byte budget, served straight into native memory (the FUSE reply buffer) without touching the network.
 * <p>
 * A file is cut into chunks of {@link ChunkCacheConfig#chunkSize()} bytes (the last one may be shorter). Each chunk
 * is one map entry: key = 64-bit hash of (file key, chunk index), value = {@link ChunkLayout header} + bytes. The
 * header holds the full identity, so a key collision can only cause a miss, never another file's bytes.
 * <p>
 * Chronicle Map has no eviction: this class brings its own (CLOCK over a fixed on-heap index, {@link ClockIndex}),
 * evicting <em>before</em> every insert so resident payload bytes never exceed {@link ChunkCacheConfig#budgetBytes()}
 * and no map segment ever overflows. Memory does not grow with the number of files.
 *
 * <h2>Threads</h2>
 * <ul>
 *   <li>{@link #read} and {@link #isResident}: any number of threads at once (FUSE threads). Allocation-free once the
 *   calling thread has made one query (Chronicle keeps one query context per thread). Never blocks on I/O; may wait
 *   briefly on the segment lock of a chunk being written or evicted.</li>
 *   <li>{@link #put}: any thread; puts are serialised by one writer lock (meant for the fetcher thread).</li>
 *   <li>{@link #reserve}, then one of {@link #commit}, {@link #abort} or {@link #abandon}: any thread (a fetcher),
 *   serialised by the same writer lock; between them, the fetch's transport thread writes the reserved payload
 *   without any lock (the entry is pinned and never served until committed).</li>
 *   <li>{@link #close}: once, after which reads miss and puts are refused.</li>
 * </ul>
 * Readers never observe a partial or foreign chunk: an entry is inserted and removed under its segment's write
 * lock, read under its read lock, and its header (identity, length) is verified on every read. A reserved entry
 * carries {@link ChunkLayout#FILLING_MAGIC} until {@link #commit} publishes it by a release store of the entry magic
 * (under the segment's update lock, which readers share, so a commit never holds readers off). A read handed to a
 * {@link ReadSink} pins its entry before leaving the read lock ({@link ReaderCursors#pin}); the writer removes or
 * replaces an entry only under the segment's write lock and never while it is pinned.
 */
public final class ChunkCache implements AutoCloseable
{
    /** {@link #read} result when not every requested byte is resident. */
    public static final int MISS = -1;
    /** {@link #reserve}: the entry is reserved; the fetch writes into {@link ChunkReservation#payloadAddress()}. */
    public static final int RESERVED = 1;
    /** {@link #reserve}: the chunk is resident already; nothing to fetch. */
    public static final int ALREADY_RESIDENT = 0;
    /** {@link #reserve}: refused (closed, bad length, no evictable room, key reserved by another fetch). */
    public static final int REFUSED = -1;
    /** {@link #clearKeyLocked}: nothing (any more) under the key; insert. */
    private static final int KEY_FREE = 2;

    private static final Logger LOG = LoggerFactory.getLogger(ChunkCache.class);
    private static final long CLOSE_WAIT_NS = TimeUnit.SECONDS.toNanos(5);

    /** How a cache came to be. */
    public enum OpenOutcome
    {
        /** No cache file configured: an empty map in memory. */
        IN_MEMORY,
        /** No cache file existed: an empty persisted map was created. */
        CREATED,
        /** The cache file was valid: its chunks are served again. */
        RECOVERED,
        /** The cache file was unusable (foreign, corrupt, truncated, other format): deleted, created empty. */
        REBUILT
    }

    private final ChunkCacheConfig config;
    private final int chunkSize;
    private final int chunkShift;
    private final long chunkMask;
    private final long budgetBytes;
    private final ChronicleMap<Long, byte[]> map;
    private final OpenOutcome openOutcome;
    private final String openReason;
    private final ClockIndex index;
    private final ReaderCursors cursors;

    private final ReentrantLock writeLock = new ReentrantLock();
    private final BytesStore<?, Void> writerKey;
    /**
     * Header + payload of a chunk inserted from plain native memory (the copying {@link #put} variants); also where
     * recovery copies a payload to checksum it. Allocated on first use: the fetchers bring their own
     * {@link ChunkBuffer}, so a running engine never needs it (4 MiB of RSS saved). Guarded by the write lock.
     */
    private ChunkBuffer staging;
    private final UnsafeBuffer writerSource = new UnsafeBuffer(0, 0);
    private final UnsafeBuffer writerView = new UnsafeBuffer(0, 0);
    private final ReservedValue reservedValue = new ReservedValue();
    /** Heap window the payload CRC of a committed reservation is computed through (persisted maps only). */
    private byte[] crcScratch;
    private final CRC32C crc = new CRC32C();
    /** Reservations not yet ended; written under the writer lock. {@link #close} waits for 0. */
    private volatile int activeReservations;
    /** Reservations given up while a write may still be under way: their memory must never be unmapped. */
    private volatile int abandonedReservations;
    /** Recovery only: reserved entries found in a persisted file (dropped). */
    private int droppedWhileFilling;

    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder busyMisses = new LongAdder();
    private final LongAdder keyCollisions = new LongAdder();
    private final LongAdder bytesInserted = new LongAdder();
    private final LongAdder chunksInserted = new LongAdder();
    private final LongAdder evictions = new LongAdder();
    private final LongAdder pinnedSkips = new LongAdder();
    private final LongAdder rejectedPuts = new LongAdder();
    private volatile long residentBytes;
    private volatile int residentChunks;
    private volatile long reservedBytes;
    private volatile int reservedChunks;
    private volatile boolean closed;
    private final boolean persisted;

    private ChunkCache(
        final ChunkCacheConfig config,
        final ChronicleMap<Long, byte[]> map,
        final OpenOutcome openOutcome,
        final String openReason)
    {
        this.config = config;
        this.persisted = config.cacheFile() != null;
        this.chunkSize = config.chunkSize();
        this.chunkShift = config.chunkShift();
        this.chunkMask = chunkSize - 1L;
        this.budgetBytes = config.budgetBytes();
        this.map = map;
        this.openOutcome = openOutcome;
        this.openReason = openReason;
        this.index = new ClockIndex(config.segments(), config.chunksPerSegment());
        this.cursors = new ReaderCursors(config.readerCursors());
        this.writerKey = BytesStore.nativeStoreWithFixedCapacity(64);
    }

    /**
     * Opens a cache: creates the map (about 2 s: do it once, at start) and, for a persisted one, recovers the
     * chunks of a valid file or deletes an unusable one (WARN) and starts empty.
     *
     * @throws IOException if the map file cannot be created at all.
     */
    public static ChunkCache open(final ChunkCacheConfig config) throws IOException
    {
        final Path file = config.cacheFile();
        if (file == null)
        {
            final ChronicleMap<Long, byte[]> map = builder(config).create();
            HugePages.advise(map);
            return new ChunkCache(config, map, OpenOutcome.IN_MEMORY, "memory only");
        }
        final Path parent = file.toAbsolutePath().getParent();
        if (parent != null)
        {
            Files.createDirectories(parent);
        }
        String problem = null;
        if (Files.exists(file))
        {
            problem = CacheFileFormat.problemWith(file, config);
            if (problem == null)
            {
                final boolean cleanlyClosed = CacheFileFormat.stateOf(file) == STATE_CLOSED;
                ChunkCache recovered = null;
                try
                {
                    final ChronicleMap<Long, byte[]> map = cleanlyClosed
                        ? builder(config).createPersistedTo(file.toFile())
                        : builder(config).recoverPersistedTo(file.toFile(), true, c -> LOG.warn(
                            "chunk cache file {}: chronicle reports {} in segment {}", file, c.message(), c.segmentIndex()));
                    recovered = new ChunkCache(config, map, OpenOutcome.RECOVERED,
                        cleanlyClosed ? "reopened after a clean close" : "recovered after an unclean stop");
                    problem = recovered.rebuildIndex();
                    if (problem == null)
                    {
                        CacheFileFormat.write(file, config, STATE_OPEN);
                    }
                }
                catch (final RuntimeException | IOException | InternalError ex)
                {
                    problem = "cannot open: " + ex;
                }
                if (problem == null)
                {
                    LOG.info("chunk cache file {}: {}, {} chunks ({} bytes) verified",
                        file, recovered.openReason(), recovered.residentChunks(), recovered.residentBytes());
                    return recovered;
                }
                if (recovered != null)
                {
                    recovered.closeQuietly(false);
                }
            }
            LOG.warn("chunk cache file {} is unusable ({}): deleting it and starting with an empty cache", file, problem);
            Files.deleteIfExists(file);
        }
        Files.deleteIfExists(CacheFileFormat.sideCarOf(file));
        final ChronicleMap<Long, byte[]> map = builder(config).createPersistedTo(file.toFile());
        CacheFileFormat.write(file, config, STATE_OPEN);
        return problem == null
            ? new ChunkCache(config, map, OpenOutcome.CREATED, "created")
            : new ChunkCache(config, map, OpenOutcome.REBUILT, problem);
    }

    private static ChronicleMapBuilder<Long, byte[]> builder(final ChunkCacheConfig config)
    {
        return ChronicleMap.of(Long.class, byte[].class)
            .name("fuse-engine-chunk-cache")
            .entries(config.maxChunks())
            .actualSegments(config.segments())
            .entriesPerSegment(config.chunksPerSegment())
            .actualChunksPerSegmentTier(config.chunksPerSegment())
            .actualChunkSize(config.mapUnitSize())
            .averageValueSize(HEADER_LENGTH + config.chunkSize())
            .maxBloatFactor(1.0)
            .checksumEntries(false);
    }

    // ---------------------------------------------------------------------------------------------------- reads

    /**
     * Copies {@code length} bytes of {@code file} at {@code offset} to native memory at {@code destAddress}, if and
     * only if every one of them is resident (the range may span chunks). The caller clamps reads to the file length;
     * a range past the end of the file misses.
     * <p>
     * On a miss the destination may have been partly written: the caller must treat it as garbage and fetch.
     *
     * @return {@code length}, or {@link #MISS}.
     */
    public int read(final CacheFileIdentity file, final long offset, final int length, final long destAddress)
    {
        return read(file, offset, length, destAddress, null);
    }

    /**
     * As {@link #read(CacheFileIdentity, long, int, long)}, but hands the bytes to {@code sink} where the chunk
     * holds them ({@link ReadSink#take}) when the range lies in one chunk; a range across chunks is copied into
     * {@link ReadSink#destination}. While the sink has the chunk's memory the entry is pinned
     * ({@link ReaderCursors#pin}): not evicted, not replaced. The segment's read lock is not held meanwhile, so the
     * sink's work (a {@code writev} of up to a MiB) does not hold up the cache's writer on that segment.
     *
     * @return {@code length} (taken by the sink, or copied to its destination), or {@link #MISS} (nothing taken).
     */
    public int read(final CacheFileIdentity file, final long offset, final int length, final ReadSink sink)
    {
        if (length > 0 && (offset >>> chunkShift) != ((offset + length - 1) >>> chunkShift))
        {
            return read(file, offset, length, sink.destination(length), null);
        }
        return read(file, offset, length, 0, sink);
    }

    private int read(
        final CacheFileIdentity file, final long offset, final int length, final long destAddress, final ReadSink sink)
    {
        if (offset < 0 || length <= 0 || offset > file.fileLength() - length)
        {
            misses.increment();
            return MISS;
        }
        final int cursor = cursors.tryClaim();
        if (cursor == ReaderCursors.NONE)
        {
            busyMisses.increment();
            misses.increment();
            return MISS;
        }
        try
        {
            if (closed)
            {
                misses.increment();
                return MISS;
            }
            long chunkIndex = offset >>> chunkShift;
            int inChunk = (int)(offset & chunkMask);
            int done = 0;
            while (done < length)
            {
                final int n = Math.min(length - done, chunkSize - inChunk);
                if (!copyFromChunk(cursor, file, chunkIndex, inChunk, n, destAddress + done, sink))
                {
                    misses.increment();
                    return MISS;
                }
                done += n;
                chunkIndex++;
                inChunk = 0;
            }
            hits.increment();
            return length;
        }
        finally
        {
            cursors.release(cursor);
        }
    }

    /**
     * @return true if chunk {@code chunkIndex} of {@code file} is resident now (it may be evicted right after).
     */
    public boolean isResident(final CacheFileIdentity file, final long chunkIndex)
    {
        if (chunkIndex < 0 || expectedChunkLength(file, chunkIndex) <= 0)
        {
            return false;
        }
        final int cursor = cursors.tryClaim();
        if (cursor == ReaderCursors.NONE)
        {
            return false;
        }
        try
        {
            return !closed && copyFromChunk(cursor, file, chunkIndex, 0, 0, 0, null);
        }
        finally
        {
            cursors.release(cursor);
        }
    }

    private boolean copyFromChunk(
        final int cursor,
        final CacheFileIdentity file,
        final long chunkIndex,
        final int inChunk,
        final int n,
        final long destAddress,
        final ReadSink sink)
    {
        final long key = CacheFileIdentity.chunkKey(file.fileKey(), chunkIndex);
        final long keyOffset = cursors.putKey(cursor, key);
        final long source;
        try (ExternalMapQueryContext<Long, byte[], ?> c = map.queryContext(cursors.keys(), keyOffset, Long.BYTES))
        {
            c.readLock().lock();
            final MapEntry<Long, byte[]> entry = c.entry();
            if (entry == null)
            {
                return false;
            }
            final Data<byte[]> value = entry.value();
            final long size = value.size();
            if (size < HEADER_LENGTH || size > HEADER_LENGTH + chunkSize)
            {
                return false;
            }
            final UnsafeBuffer view = cursors.valueView(cursor);
            view.wrap(value.bytes().addressForRead(value.offset()), (int)size);
            // acquire: pairs with commit's release of the magic, which publishes a reserved entry under the update
            // lock only (readers are not locked out meanwhile)
            if (view.getIntAcquire(ENTRY_MAGIC_OFFSET) == FILLING_MAGIC)
            {
                return false; // reserved: its fetch is still writing it
            }
            if (!headerMatches(view, file, chunkIndex))
            {
                keyCollisions.increment();
                return false;
            }
            final int payload = view.getInt(PAYLOAD_LENGTH_OFFSET);
            if (payload != size - HEADER_LENGTH || inChunk + n > payload)
            {
                return false;
            }
            index.markReferenced(key);
            if (sink == null)
            {
                if (n > 0)
                {
                    final UnsafeBuffer dest = cursors.destinationView(cursor);
                    dest.wrap(destAddress, n);
                    view.getBytes(HEADER_LENGTH + inChunk, dest, 0, n);
                }
                return true;
            }
            cursors.pin(cursor, key); // under the read lock: the writer sees it before it could remove the entry
            source = view.addressOffset() + HEADER_LENGTH + inChunk;
        }
        try
        {
            sink.take(source, n);
        }
        finally
        {
            cursors.unpin(cursor);
        }
        return true;
    }

    private static boolean headerMatches(final DirectBuffer header, final CacheFileIdentity file, final long chunkIndex)
    {
        return header.getInt(ENTRY_MAGIC_OFFSET) == ENTRY_MAGIC
            && header.getLong(CHUNK_INDEX_OFFSET) == chunkIndex
            && header.getLong(INFO_HASH_HIGH_OFFSET) == file.infoHashHigh()
            && header.getLong(INFO_HASH_MIDDLE_OFFSET) == file.infoHashMiddle()
            && header.getInt(INFO_HASH_LOW_OFFSET) == file.infoHashLow()
            && header.getInt(FILE_INDEX_OFFSET) == file.fileIndex()
            && header.getLong(FILE_LENGTH_OFFSET) == file.fileLength();
    }

    // ---------------------------------------------------------------------------------------------------- writes

    /**
     * Inserts one complete chunk fetched into {@code buffer}'s payload: the zero-extra-copy variant the read-ahead
     * fetchers use. The checksum and header are written into {@code buffer} in place <em>before</em> the writer lock
     * is taken, so concurrent puts only serialise on the one copy into the map. See
     * {@link #put(CacheFileIdentity, long, DirectBuffer, int, int)} for the contract on the bytes.
     *
     * @param buffer owned by the calling thread for the duration of the call; its header is overwritten.
     * @return true if the chunk is resident after the call; false if refused.
     */
    public boolean put(final CacheFileIdentity file, final long chunkIndex, final ChunkBuffer buffer, final int length)
    {
        if (closed || chunkIndex < 0 || length <= 0 || length > buffer.capacity()
            || length != expectedChunkLength(file, chunkIndex))
        {
            rejectedPuts.increment();
            return false;
        }
        buffer.writeHeader(file, chunkIndex, length, entryCrc(buffer, length));
        writeLock.lock();
        try
        {
            return insertLocked(file, chunkIndex, buffer, length);
        }
        finally
        {
            writeLock.unlock();
        }
    }

    /**
     * Inserts one complete chunk from native memory (copied into a staging buffer first, under the writer lock).
     * See {@link #put(CacheFileIdentity, long, DirectBuffer, int, int)}.
     */
    public boolean put(final CacheFileIdentity file, final long chunkIndex, final long srcAddress, final int length)
    {
        writeLock.lock();
        try
        {
            writerSource.wrap(srcAddress, Math.max(length, 0));
            return putLocked(file, chunkIndex, writerSource, 0, length);
        }
        finally
        {
            writerSource.wrap(0, 0);
            writeLock.unlock();
        }
    }

    /**
     * Inserts one chunk, evicting others first so the budget holds. Only for a <b>complete, verified</b> chunk: the
     * caller guarantees the bytes are exactly the file's bytes in
     * {@code [chunkIndex × chunkSize, chunkIndex × chunkSize + length)}. A failed, short, cancelled or timed-out fetch
     * must never be put: the cache cannot tell. {@code length} must be the chunk's full length (chunk size, or the
     * remainder for the file's last chunk); anything else is refused.
     *
     * @return true if the chunk is resident after the call (inserted now or already there); false if refused.
     */
    public boolean put(
        final CacheFileIdentity file, final long chunkIndex, final DirectBuffer src, final int srcIndex, final int length)
    {
        writeLock.lock();
        try
        {
            return putLocked(file, chunkIndex, src, srcIndex, length);
        }
        finally
        {
            writeLock.unlock();
        }
    }

    private ChunkBuffer staging()
    {
        if (staging == null)
        {
            staging = new ChunkBuffer(chunkSize);
        }
        return staging;
    }

    /**
     * The payload checksum an entry carries. It is only ever checked when a persisted map is recovered, so an
     * in-memory map (gone with the process) stores 0 and saves a CRC pass over every chunk (~2 % of a cold
     * sequential read's CPU in a profile).
     */
    private int entryCrc(final ChunkBuffer buffer, final int length)
    {
        return persisted ? buffer.payloadCrc(length) : 0;
    }

    private boolean putLocked(
        final CacheFileIdentity file, final long chunkIndex, final DirectBuffer src, final int srcIndex, final int length)
    {
        if (closed || chunkIndex < 0 || length <= 0 || length != expectedChunkLength(file, chunkIndex))
        {
            rejectedPuts.increment();
            return false;
        }
        final ChunkBuffer staging = staging();
        staging.view.putBytes(HEADER_LENGTH, src, srcIndex, length);
        staging.writeHeader(file, chunkIndex, length, entryCrc(staging, length));
        return insertLocked(file, chunkIndex, staging, length);
    }

    /** Under the writer lock: {@code value} holds the complete entry value (header written). */
    private boolean insertLocked(
        final CacheFileIdentity file, final long chunkIndex, final ChunkBuffer value, final int length)
    {
        if (closed)
        {
            rejectedPuts.increment();
            return false;
        }
        final long key = CacheFileIdentity.chunkKey(file.fileKey(), chunkIndex);
        final int existing = clearKeyLocked(key, file, chunkIndex, length);
        if (existing != KEY_FREE)
        {
            if (existing == REFUSED)
            {
                rejectedPuts.increment(); // reserved by a fetch of this chunk (or of one sharing its key)
            }
            return existing == ALREADY_RESIDENT;
        }
        try
        {
            final int segment = segmentOf(key);
            if (!makeRoom(segment, length))
            {
                rejectedPuts.increment();
                return false;
            }
            writerKey.writeLong(0, key);
            try (ExternalMapQueryContext<Long, byte[], ?> c = map.queryContext(writerKey, 0, Long.BYTES))
            {
                c.updateLock().lock();
                final Data<byte[]> data = c.wrapValueBytesAsData(value.store, 0, HEADER_LENGTH + length);
                final MapEntry<Long, byte[]> entry = c.entry();
                if (entry != null)
                {
                    c.writeLock().lock(); // readers pin under the read lock: none can while this is held
                    if (cursors.isPinned(key))
                    {
                        rejectedPuts.increment();
                        return false; // not in the index (cannot happen) and in a reader's hands: leave it be
                    }
                    c.replaceValue(entry, data);
                }
                else
                {
                    c.insert(c.absentEntry(), data);
                }
            }
            index.add(key, length, segment);
        }
        catch (final RuntimeException ex)
        {
            rejectedPuts.increment();
            LOG.error("chunk cache: insert of chunk {} of {} failed", chunkIndex, file, ex);
            return false;
        }
        finally
        {
            publishGauges();
        }
        bytesInserted.add(length);
        chunksInserted.increment();
        return true;
    }

    /**
     * Under the writer lock, before an insert under {@code key}: {@link #ALREADY_RESIDENT} if the chunk is there,
     * {@link #REFUSED} if the key is reserved by a fetch, else {@link #KEY_FREE} after evicting whatever
     * other chunk held the key (a hash collision).
     */
    private int clearKeyLocked(final long key, final CacheFileIdentity file, final long chunkIndex, final int length)
    {
        final int existing = index.slotOf(key);
        if (existing == ClockIndex.NO_SLOT)
        {
            return KEY_FREE;
        }
        if (index.isPinned(existing))
        {
            return REFUSED;
        }
        if (residentMatches(key, file, chunkIndex, length))
        {
            index.markReferenced(key);
            return ALREADY_RESIDENT;
        }
        keyCollisions.increment();
        return evict(existing) ? KEY_FREE : REFUSED;
    }

    private boolean residentMatches(final long key, final CacheFileIdentity file, final long chunkIndex, final int length)
    {
        writerKey.writeLong(0, key);
        try (ExternalMapQueryContext<Long, byte[], ?> c = map.queryContext(writerKey, 0, Long.BYTES))
        {
            c.readLock().lock();
            final MapEntry<Long, byte[]> entry = c.entry();
            if (entry == null || entry.value().size() != HEADER_LENGTH + length)
            {
                return false;
            }
            final Data<byte[]> value = entry.value();
            writerView.wrap(value.bytes().addressForRead(value.offset()), (int)value.size());
            return headerMatches(writerView, file, chunkIndex);
        }
    }

    // ---------------------------------------------------------------------------------------------------- reservations

    /**
     * Sets a map entry aside for chunk {@code chunkIndex} of {@code file} so that a fetch can write its bytes
     * straight into the map, evicting others first as {@link #put} does. Until {@link #commit} the entry is never
     * served and never evicted, and its bytes count against the budget. The caller must end the reservation with
     * exactly one of {@link #commit} (every byte written), {@link #abort} (the fetch failed and no write can still
     * be under way) or {@link #abandon} (a write may still be under way).
     *
     * @param length the chunk's full length ({@link #expectedChunkLength}); anything else is refused.
     * @param reservation filled in when {@link #RESERVED}; must not be active.
     * @return {@link #RESERVED}, {@link #ALREADY_RESIDENT} or {@link #REFUSED} (the caller may still fetch into its
     * own buffer and {@link #put} the chunk).
     */
    public int reserve(
        final CacheFileIdentity file, final long chunkIndex, final int length, final ChunkReservation reservation)
    {
        if (reservation.isActive())
        {
            throw new IllegalStateException("reservation still active: " + reservation);
        }
        if (closed || chunkIndex < 0 || length <= 0 || length != expectedChunkLength(file, chunkIndex))
        {
            return REFUSED;
        }
        writeLock.lock();
        try
        {
            if (closed)
            {
                return REFUSED;
            }
            final long key = CacheFileIdentity.chunkKey(file.fileKey(), chunkIndex);
            final int existing = clearKeyLocked(key, file, chunkIndex, length);
            if (existing != KEY_FREE)
            {
                return existing;
            }
            final int segment = segmentOf(key);
            if (!makeRoom(segment, length))
            {
                return REFUSED;
            }
            final long payloadAddress;
            writerKey.writeLong(0, key);
            try (ExternalMapQueryContext<Long, byte[], ?> c = map.queryContext(writerKey, 0, Long.BYTES))
            {
                c.updateLock().lock();
                final MapEntry<Long, byte[]> stale = c.entry();
                if (stale != null)
                {
                    c.writeLock().lock(); // readers pin under the read lock: none can while this is held
                    if (cursors.isPinned(key))
                    {
                        return REFUSED;
                    }
                    c.remove(stale); // not in the index: cannot happen, but never reuse what we cannot account for
                }
                ChunkBuffer.writeHeader(reservedValue.headerView, FILLING_MAGIC, file, chunkIndex, length, 0);
                c.insert(c.absentEntry(), reservedValue.ofPayload(length));
                final MapEntry<Long, byte[]> entry = c.entry();
                if (entry == null || entry.value().size() != HEADER_LENGTH + length)
                {
                    throw new IllegalStateException("reserved entry not found after insert");
                }
                final Data<byte[]> value = entry.value();
                payloadAddress = value.bytes().addressForRead(value.offset()) + HEADER_LENGTH;
            }
            final int slot = index.add(key, length, segment);
            index.pin(slot);
            reservation.set(file, chunkIndex, key, slot, length, payloadAddress);
            activeReservations++;
            return RESERVED;
        }
        catch (final RuntimeException ex)
        {
            LOG.error("chunk cache: reserving chunk {} of {} failed", chunkIndex, file, ex);
            return REFUSED;
        }
        finally
        {
            publishGauges();
            writeLock.unlock();
        }
    }

    /**
     * Publishes a reserved chunk whose every byte has been written (and whose writer is done: the caller saw its
     * fetch complete): its header becomes a served entry's, under the segment's write lock, and it becomes evictable.
     * The bytes must be exactly the file's (see {@link #put}). Ends the reservation.
     *
     * @return true if the chunk is resident after the call; false if the cache closed meanwhile (then it is dropped).
     */
    public boolean commit(final ChunkReservation reservation)
    {
        requireActive(reservation);
        writeLock.lock();
        try
        {
            if (closed)
            {
                removeReserved(reservation);
                rejectedPuts.increment();
                return false;
            }
            final int payloadCrc = persisted ? crcOf(reservation.payloadAddress, reservation.length) : 0;
            writerKey.writeLong(0, reservation.key);
            try (ExternalMapQueryContext<Long, byte[], ?> c = map.queryContext(writerKey, 0, Long.BYTES))
            {
                // The update lock keeps the entry where it is and other writers out, but lets readers in: publishing
                // needs no write lock (which would wait for every reader of the segment to leave and hold new ones
                // off meanwhile; with one segment, every reader of the cache). Every header field except the CRC
                // and the magic already holds its final value (reserve wrote them); the magic goes last, with
                // release semantics, and a reader that acquires it sees the CRC and the payload (written by the
                // fetch, which happened before this call) as well. Before it, readers see FILLING_MAGIC and miss.
                c.updateLock().lock();
                writerView.wrap(reservedEntryAddress(c, reservation), HEADER_LENGTH);
                writerView.putInt(PAYLOAD_CRC_OFFSET, payloadCrc);
                writerView.putIntRelease(ENTRY_MAGIC_OFFSET, ENTRY_MAGIC);
            }
            index.unpin(reservation.slot);
            index.markReferenced(reservation.key);
            bytesInserted.add(reservation.length);
            chunksInserted.increment();
            return true;
        }
        finally
        {
            endReservation(reservation);
            writeLock.unlock();
        }
    }

    /**
     * Drops a reservation whose fetch failed, was cancelled or timed out, once no write into it can still be under
     * way: the entry is removed and its memory may hold another chunk right after. Ends the reservation.
     */
    public void abort(final ChunkReservation reservation)
    {
        requireActive(reservation);
        writeLock.lock();
        try
        {
            removeReserved(reservation);
        }
        finally
        {
            endReservation(reservation);
            writeLock.unlock();
        }
    }

    /**
     * Gives a reservation up while a write into it may still be under way (its fetch's transport did not finish a
     * write in time: a bug). The entry stays reserved for good (never served, never evicted, its bytes lost to the
     * budget) and the map is never unmapped, so that late write lands in memory nobody else uses. Ends the
     * reservation.
     */
    public void abandon(final ChunkReservation reservation)
    {
        requireActive(reservation);
        writeLock.lock();
        try
        {
            abandonedReservations++;
            LOG.error("chunk cache: {} abandoned while its fetch may still write into it; {} bytes kept out of use",
                reservation, reservation.length);
        }
        finally
        {
            endReservation(reservation);
            writeLock.unlock();
        }
    }

    /** Reservations given up with a write possibly under way (each keeps one chunk of the budget). */
    public int abandonedReservations()
    {
        return abandonedReservations;
    }

    private static void requireActive(final ChunkReservation reservation)
    {
        if (!reservation.isActive())
        {
            throw new IllegalStateException("no active reservation");
        }
    }

    /** Under the writer lock. */
    private void endReservation(final ChunkReservation reservation)
    {
        reservation.clear();
        activeReservations--;
        publishGauges();
    }

    /** Under the writer lock: removes a reserved entry (if it is still the reservation's) and its index slot. */
    private void removeReserved(final ChunkReservation reservation)
    {
        writerKey.writeLong(0, reservation.key);
        try (ExternalMapQueryContext<Long, byte[], ?> c = map.queryContext(writerKey, 0, Long.BYTES))
        {
            c.updateLock().lock();
            reservedEntryAddress(c, reservation);
            c.remove(c.entry());
        }
        index.remove(reservation.slot);
    }

    /**
     * Under the entry's update lock: the address of the reserved entry's value, after checking that the entry under
     * the key is still the reservation's (same place, same size, still filling). Anything else is a bug in this
     * class: fail loudly rather than publish or drop another chunk.
     */
    private long reservedEntryAddress(final ExternalMapQueryContext<Long, byte[], ?> c, final ChunkReservation reservation)
    {
        final MapEntry<Long, byte[]> entry = c.entry();
        if (entry == null)
        {
            throw new IllegalStateException(reservation + ": entry missing");
        }
        final Data<byte[]> value = entry.value();
        final long address = value.bytes().addressForRead(value.offset());
        if (address + HEADER_LENGTH != reservation.payloadAddress || value.size() != HEADER_LENGTH + reservation.length
            || UnsafeApi.getInt(address + ENTRY_MAGIC_OFFSET) != FILLING_MAGIC)
        {
            throw new IllegalStateException(reservation + ": entry moved or changed");
        }
        return address;
    }

    /** Under the writer lock: CRC-32C of native memory, through a heap window. */
    private int crcOf(final long address, final int length)
    {
        if (crcScratch == null)
        {
            crcScratch = new byte[64 * 1024];
        }
        crc.reset();
        for (int done = 0; done < length; )
        {
            final int n = Math.min(crcScratch.length, length - done);
            UnsafeApi.copyMemory(null, address + done, crcScratch, UnsafeApi.arrayBaseOffset(byte[].class), n);
            crc.update(crcScratch, 0, n);
            done += n;
        }
        return (int)crc.getValue();
    }

    private int segmentOf(final long key)
    {
        writerKey.writeLong(0, key);
        try (ExternalMapQueryContext<Long, byte[], ?> c = map.queryContext(writerKey, 0, Long.BYTES))
        {
            return c.segmentIndex();
        }
    }

    /**
     * Evicts until {@code length} more bytes fit in the budget and {@code segment} has a free entry. A victim a reader
     * has pinned is passed over; after as many of those as there are reader cursors (and more cannot be pinned at
     * once) it gives up.
     */
    private boolean makeRoom(final int segment, final int length)
    {
        int passedOver = 0;
        while (index.residentBytes() + length > budgetBytes || index.isSegmentFull(segment) || !index.hasFreeSlot())
        {
            final int victim = index.nextVictim(index.isSegmentFull(segment) ? segment : -1);
            if (victim == ClockIndex.NO_SLOT)
            {
                if (index.pinnedCount() == 0)
                {
                    LOG.error("chunk cache: no eviction victim (resident {} B in {} chunks, segment {})",
                        index.residentBytes(), index.residentChunks(), segment);
                }
                else
                {
                    // the rest is reserved by fetches still writing: the caller stages or drops this chunk
                    LOG.debug("chunk cache: no eviction victim besides {} reserved chunk(s) (segment {})",
                        index.pinnedCount(), segment);
                }
                return false;
            }
            if (!evict(victim) && ++passedOver > cursors.count())
            {
                LOG.debug("chunk cache: every eviction victim is pinned by a reader (segment {})", segment);
                return false;
            }
        }
        return true;
    }

    /**
     * Removes the chunk in {@code slot}, unless a reader has it pinned ({@link ReaderCursors#pin}).
     *
     * @return true if removed; false if pinned (it stays, and stays in the index).
     */
    private boolean evict(final int slot)
    {
        final long key = index.keyAt(slot);
        writerKey.writeLong(0, key);
        try (ExternalMapQueryContext<Long, byte[], ?> c = map.queryContext(writerKey, 0, Long.BYTES))
        {
            c.writeLock().lock(); // no reader can pin an entry of this segment while it is held
            if (cursors.isPinned(key))
            {
                pinnedSkips.increment();
                return false;
            }
            final MapEntry<Long, byte[]> entry = c.entry();
            if (entry != null)
            {
                c.remove(entry);
            }
        }
        index.remove(slot);
        evictions.increment();
        publishGauges();
        return true;
    }

    private void publishGauges()
    {
        reservedBytes = index.pinnedBytes();
        reservedChunks = index.pinnedCount();
        residentBytes = index.residentBytes() - reservedBytes;
        residentChunks = index.residentChunks() - reservedChunks;
    }

    /**
     * @return the full length of chunk {@code chunkIndex} of {@code file}, or 0 if it starts at or past the end.
     */
    public long expectedChunkLength(final CacheFileIdentity file, final long chunkIndex)
    {
        if (chunkIndex < 0 || chunkIndex > (Long.MAX_VALUE >>> chunkShift))
        {
            return 0;
        }
        final long start = chunkIndex << chunkShift;
        return start >= file.fileLength() ? 0 : Math.min(chunkSize, file.fileLength() - start);
    }

    // ---------------------------------------------------------------------------------------------------- recovery

    /**
     * Opening thread, before the cache is shared: rebuilds the index from the map's entries, verifying every one.
     *
     * @return null, or why the file must not be served.
     */
    private String rebuildIndex()
    {
        if (map.segments() != config.segments())
        {
            return "map has " + map.segments() + " segments, configured " + config.segments();
        }
        final String[] problem = new String[1];
        for (int s = 0; s < map.segments(); s++)
        {
            final int segment = s;
            try (MapSegmentContext<Long, byte[], ?> sc = map.segmentContext(s))
            {
                sc.forEachSegmentEntryWhile(e ->
                {
                    problem[0] = admitRecovered(e, segment);
                    return problem[0] == null;
                });
            }
            if (problem[0] != null)
            {
                return problem[0];
            }
        }
        while (index.residentBytes() > budgetBytes)
        {
            final int victim = index.nextVictim(-1);
            if (victim == ClockIndex.NO_SLOT || !evict(victim))
            {
                break; // cannot happen while opening: nothing is reserved or pinned yet
            }
        }
        publishGauges();
        if (droppedWhileFilling > 0)
        {
            LOG.warn("chunk cache file {}: dropped {} chunk(s) a fetch was still writing when the process stopped",
                config.cacheFile(), droppedWhileFilling);
        }
        return null;
    }

    private String admitRecovered(final MapEntry<Long, byte[]> e, final int segment)
    {
        final long key = e.key().get();
        final Data<byte[]> value = e.value();
        final long size = value.size();
        if (size < HEADER_LENGTH || size > HEADER_LENGTH + chunkSize)
        {
            return "entry of " + size + " bytes";
        }
        final UnsafeBuffer v = writerView;
        v.wrap(value.bytes().addressForRead(value.offset()), (int)size);
        if (v.getInt(ENTRY_MAGIC_OFFSET) == FILLING_MAGIC)
        {
            // reserved by a fetch when the process stopped: its payload may be partial
            droppedWhileFilling++;
            e.doRemove();
            return null;
        }
        if (v.getInt(ENTRY_MAGIC_OFFSET) != ENTRY_MAGIC)
        {
            return "entry with a foreign magic";
        }
        final int payload = v.getInt(PAYLOAD_LENGTH_OFFSET);
        if (payload != size - HEADER_LENGTH)
        {
            return "entry payload length " + payload + " in a " + size + "-byte value";
        }
        final CacheFileIdentity file = CacheFileIdentity.fromHeader(
            v.getLong(INFO_HASH_HIGH_OFFSET), v.getLong(INFO_HASH_MIDDLE_OFFSET), v.getInt(INFO_HASH_LOW_OFFSET),
            v.getInt(FILE_INDEX_OFFSET), v.getLong(FILE_LENGTH_OFFSET));
        final long chunkIndex = v.getLong(CHUNK_INDEX_OFFSET);
        if (file.fileIndex() < 0 || file.fileLength() < 0 || payload != expectedChunkLength(file, chunkIndex))
        {
            return "entry header inconsistent (chunk " + chunkIndex + ")";
        }
        if (CacheFileIdentity.chunkKey(file.fileKey(), chunkIndex) != key)
        {
            return "entry key does not match its header";
        }
        final ChunkBuffer staging = staging();
        staging.view.putBytes(HEADER_LENGTH, v, HEADER_LENGTH, payload);
        if (staging.payloadCrc(payload) != v.getInt(PAYLOAD_CRC_OFFSET))
        {
            return "entry payload checksum mismatch (chunk " + chunkIndex + " of " + file + ")";
        }
        if (index.isSegmentFull(segment) || !index.hasFreeSlot() || index.slotOf(key) != ClockIndex.NO_SLOT)
        {
            return "more entries than the configured geometry";
        }
        index.add(key, payload, segment);
        return null;
    }

    // ---------------------------------------------------------------------------------------------------- state

    public ChunkCacheConfig config()
    {
        return config;
    }

    public OpenOutcome openOutcome()
    {
        return openOutcome;
    }

    /** Why the cache opened as it did (for {@link OpenOutcome#REBUILT}: what was wrong with the file). */
    public String openReason()
    {
        return openReason;
    }

    /** Reads served entirely from the cache. */
    public long hits()
    {
        return hits.sum();
    }

    /** Reads that missed (any byte not resident, past end of file, no free cursor, closed). */
    public long misses()
    {
        return misses.sum();
    }

    /** Misses because every reader cursor was in use. */
    public long busyMisses()
    {
        return busyMisses.sum();
    }

    /** Times an entry under a chunk's key belonged to another (file, chunk): a key hash collision. */
    public long keyCollisions()
    {
        return keyCollisions.sum();
    }

    public long bytesInserted()
    {
        return bytesInserted.sum();
    }

    public long chunksInserted()
    {
        return chunksInserted.sum();
    }

    /** Chunks removed to make room (or replaced after a key collision). */
    public long evictions()
    {
        return evictions.sum();
    }

    /** Eviction victims passed over because a reader had the chunk pinned (its bytes in a sink's hands). */
    public long pinnedSkips()
    {
        return pinnedSkips.sum();
    }

    /** Puts refused (wrong length, closed, map failure). */
    public long rejectedPuts()
    {
        return rejectedPuts.sum();
    }

    /**
     * Payload bytes of the chunks served now. With {@link #reservedBytes()} it stays within the budget. Written by the
     * writer, read by anyone.
     */
    public long residentBytes()
    {
        return residentBytes;
    }

    /** Payload bytes of entries reserved for fetches still writing them (or abandoned): counted in the budget. */
    public long reservedBytes()
    {
        return reservedBytes;
    }

    /** Entries reserved for fetches still writing them (or abandoned). */
    public int reservedChunks()
    {
        return reservedChunks;
    }

    public int residentChunks()
    {
        return residentChunks;
    }

    /** Off-heap bytes Chronicle reports for the map (its own accounting). */
    public long offHeapMemoryUsed()
    {
        return map.offHeapMemoryUsed();
    }

    /** Entries in the map, as Chronicle counts them (tests compare it with {@link #residentChunks()}). */
    long mapSize()
    {
        return map.longSize();
    }

    /**
     * Stops serving and reserving, waits (up to 5 s) for reads and reservations in progress, then closes the map (a
     * persisted one stays on disk). The map stays mapped if they do not end in time, or if a reservation was
     * {@link #abandon abandoned}: a late write must never hit unmapped memory.
     */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        final long giveUp = System.nanoTime() + CLOSE_WAIT_NS;
        while (cursors.anyClaimed() || activeReservations > 0)
        {
            if (System.nanoTime() - giveUp > 0)
            {
                LOG.error("chunk cache: reads or fetches into the cache ({}) still in progress after 5 s; leaving the "
                    + "map open", activeReservations);
                return;
            }
            Thread.yield();
        }
        if (abandonedReservations > 0)
        {
            LOG.error("chunk cache: {} abandoned reservation(s) may still be written; leaving the map open",
                abandonedReservations);
            return;
        }
        writeLock.lock();
        try
        {
            closeQuietly(true);
        }
        finally
        {
            writeLock.unlock();
        }
    }

    private void closeQuietly(final boolean markClean)
    {
        closed = true;
        try
        {
            map.close();
            final Path file = config.cacheFile();
            if (markClean && file != null && Files.exists(file))
            {
                CacheFileFormat.write(file, config, STATE_CLOSED);
            }
        }
        catch (final RuntimeException | IOException ex)
        {
            LOG.warn("chunk cache: closing the map failed; the file will be recovered at the next start", ex);
        }
        cursors.close();
        writerKey.releaseLast();
        reservedValue.release();
        // staging wraps a ByteBuffer this class allocated: its memory is freed with the ByteBuffer, not released here
    }
}
