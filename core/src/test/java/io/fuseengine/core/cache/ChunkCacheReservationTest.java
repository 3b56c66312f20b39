package io.fuseengine.core.cache;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import static io.fuseengine.core.cache.TestChunks.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A fetch writing straight into a reserved map entry: never served early, never evicted, committed or dropped. */
class ChunkCacheReservationTest
{
    private static final int CHUNK = 64 * 1024;

    @TempDir
    Path dir;

    private final UnsafeBuffer scratch = nativeBuffer(CHUNK);
    private final UnsafeBuffer dest = nativeBuffer(CHUNK);
    private ChunkCache cache;

    @AfterEach
    void close()
    {
        if (cache != null)
        {
            cache.close();
        }
    }

    private ChunkCache open(final long budget) throws Exception
    {
        cache = ChunkCache.open(ChunkCacheConfig.builder().chunkSize(CHUNK).budgetBytes(budget).build());
        return cache;
    }

    /** What a fetch does: writes the chunk's bytes into the reserved payload. */
    private static void fill(final ChunkReservation r, final CacheFileIdentity file, final long chunkIndex, final int from, final int to)
    {
        final UnsafeBuffer payload = new UnsafeBuffer(r.payloadAddress(), r.length());
        final long seed = seedOf(file);
        final long start = chunkIndex * CHUNK;
        for (int i = from; i < to; i++)
        {
            payload.putByte(i, at(seed, start + i));
        }
    }

    private void assertChunkServed(final CacheFileIdentity file, final long chunkIndex)
    {
        final int length = (int)cache.expectedChunkLength(file, chunkIndex);
        dest.setMemory(0, length, (byte)0x5A);
        assertThat(cache.read(file, chunkIndex * CHUNK, length, dest.addressOffset())).isEqualTo(length);
        assertThat(firstMismatch(dest, length, file, chunkIndex * CHUNK)).isEqualTo(-1L);
    }

    @Test
    void reservedChunkIsNeverServedUntilCommittedThenServedExactly() throws Exception
    {
        open(8L * CHUNK);
        final CacheFileIdentity file = TestChunks.file(700, 3L * CHUNK);
        final ChunkReservation r = new ChunkReservation();

        assertThat(cache.reserve(file, 1, CHUNK, r)).isEqualTo(ChunkCache.RESERVED);
        assertThat(r.isActive()).isTrue();
        assertThat(cache.reservedBytes()).as("a reservation counts against the budget").isEqualTo(CHUNK);
        assertThat(cache.residentBytes()).as("but is not served").isZero();
        fill(r, file, 1, 0, CHUNK / 2);

        assertThat(cache.read(file, CHUNK, 100, dest.addressOffset())).as("half written").isEqualTo(ChunkCache.MISS);
        assertThat(cache.isResident(file, 1)).isFalse();
        assertThat(cache.keyCollisions()).as("a filling entry is not a collision").isZero();

        fill(r, file, 1, CHUNK / 2, CHUNK);
        assertThat(cache.read(file, CHUNK, 100, dest.addressOffset())).as("written, not committed").isEqualTo(ChunkCache.MISS);

        assertThat(cache.commit(r)).isTrue();
        assertThat(r.isActive()).isFalse();
        assertThat(cache.isResident(file, 1)).isTrue();
        assertChunkServed(file, 1);
        assertThat(cache.residentBytes()).isEqualTo(CHUNK);
        assertThat(cache.reservedBytes()).isZero();
        assertThat(cache.chunksInserted()).isEqualTo(1);
        assertThat(cache.bytesInserted()).isEqualTo(CHUNK);
        assertThat(cache.mapSize()).isEqualTo(cache.residentChunks());
    }

    @Test
    void abortedReservationLeavesNothingBehind() throws Exception
    {
        open(8L * CHUNK);
        final CacheFileIdentity file = TestChunks.file(701, 2L * CHUNK + 99);
        final ChunkReservation r = new ChunkReservation();

        assertThat(cache.reserve(file, 2, 99, r)).as("the short last chunk").isEqualTo(ChunkCache.RESERVED);
        fill(r, file, 2, 0, 50); // a fetch that failed half way
        cache.abort(r);

        assertThat(r.isActive()).isFalse();
        assertThat(cache.read(file, 2L * CHUNK, 99, dest.addressOffset())).isEqualTo(ChunkCache.MISS);
        assertThat(cache.residentBytes()).isZero();
        assertThat(cache.residentChunks()).isZero();
        assertThat(cache.mapSize()).isZero();

        // the chunk can be fetched again
        assertThat(cache.reserve(file, 2, 99, r)).isEqualTo(ChunkCache.RESERVED);
        fill(r, file, 2, 0, 99);
        assertThat(cache.commit(r)).isTrue();
        assertChunkServed(file, 2);
    }

    @Test
    void reservationAnswersAlreadyResidentAndRefusesWrongLengthsAndASecondReservationOfTheSameChunk() throws Exception
    {
        open(8L * CHUNK);
        final CacheFileIdentity file = TestChunks.file(702, 3L * CHUNK);
        final ChunkReservation first = new ChunkReservation();
        final ChunkReservation second = new ChunkReservation();
        assertThat(putChunk(cache, file, 0, scratch)).isTrue();

        assertThat(cache.reserve(file, 0, CHUNK, first)).isEqualTo(ChunkCache.ALREADY_RESIDENT);
        assertThat(first.isActive()).isFalse();
        assertThat(cache.reserve(file, 1, CHUNK - 1, first)).as("not the chunk's length").isEqualTo(ChunkCache.REFUSED);
        assertThat(cache.reserve(file, 3, CHUNK, first)).as("past the end").isEqualTo(ChunkCache.REFUSED);

        assertThat(cache.reserve(file, 1, CHUNK, first)).isEqualTo(ChunkCache.RESERVED);
        assertThat(cache.reserve(file, 1, CHUNK, second)).isEqualTo(ChunkCache.REFUSED);
        assertThat(putChunk(cache, file, 1, scratch)).as("a put of a reserved chunk").isFalse();
        assertThatThrownBy(() -> cache.reserve(file, 2, CHUNK, first)).isInstanceOf(IllegalStateException.class);

        fill(first, file, 1, 0, CHUNK);
        assertThat(cache.commit(first)).isTrue();
        assertChunkServed(file, 1);
        assertThatThrownBy(() -> cache.commit(first)).as("ended already").isInstanceOf(IllegalStateException.class);
    }

    @Test
    void evictionNeverTakesAReservedEntryAndRefusesWhenOnlyReservedOnesAreLeft() throws Exception
    {
        open(4L * CHUNK);
        final CacheFileIdentity reservedFile = TestChunks.file(703, 2L * CHUNK);
        final ChunkReservation r = new ChunkReservation();
        assertThat(cache.reserve(reservedFile, 0, CHUNK, r)).isEqualTo(ChunkCache.RESERVED);
        fill(r, reservedFile, 0, 0, CHUNK);

        // four budgets' worth of other chunks go through the cache while the reservation is open
        for (int f = 0; f < 4; f++)
        {
            putFile(cache, TestChunks.file(710 + f, 4L * CHUNK), scratch);
            assertThat(cache.residentBytes() + cache.reservedBytes()).isLessThanOrEqualTo(4L * CHUNK);
        }
        assertThat(cache.evictions()).isPositive();
        final long payloadAfter = seedOf(reservedFile);
        assertThat(new UnsafeBuffer(r.payloadAddress(), CHUNK).getByte(CHUNK - 1))
            .as("the reserved payload was not reused").isEqualTo(at(payloadAfter, CHUNK - 1));

        // every other entry reserved too: nothing is evictable, a further reservation (and put) is refused
        final ChunkReservation[] more = new ChunkReservation[3];
        final CacheFileIdentity other = TestChunks.file(720, 8L * CHUNK);
        for (int i = 0; i < more.length; i++)
        {
            more[i] = new ChunkReservation();
            assertThat(cache.reserve(other, i, CHUNK, more[i])).isEqualTo(ChunkCache.RESERVED);
        }
        final ChunkReservation refused = new ChunkReservation();
        assertThat(cache.reserve(other, 5, CHUNK, refused)).isEqualTo(ChunkCache.REFUSED);
        assertThat(putChunk(cache, other, 6, scratch)).isFalse();
        assertThat(cache.reservedBytes()).isEqualTo(4L * CHUNK);
        assertThat(cache.residentChunks()).isZero();

        assertThat(cache.commit(r)).isTrue();
        assertChunkServed(reservedFile, 0);
        for (final ChunkReservation m : more)
        {
            cache.abort(m);
        }
        assertThat(cache.reserve(other, 5, CHUNK, refused)).as("room again").isEqualTo(ChunkCache.RESERVED);
        cache.abort(refused);
        assertThat(cache.mapSize()).isEqualTo(cache.residentChunks());
    }

    @Test
    void abandonedReservationIsNeverServedOrReused() throws Exception
    {
        open(4L * CHUNK);
        final CacheFileIdentity file = TestChunks.file(704, 4L * CHUNK);
        final ChunkReservation r = new ChunkReservation();
        assertThat(cache.reserve(file, 0, CHUNK, r)).isEqualTo(ChunkCache.RESERVED);
        final long address = r.payloadAddress();
        cache.abandon(r);

        assertThat(cache.abandonedReservations()).isEqualTo(1);
        assertThat(cache.read(file, 0, 100, dest.addressOffset())).isEqualTo(ChunkCache.MISS);
        final ChunkReservation again = new ChunkReservation();
        assertThat(cache.reserve(file, 0, CHUNK, again)).as("its key stays taken").isEqualTo(ChunkCache.REFUSED);
        for (int f = 0; f < 3; f++)
        {
            putFile(cache, TestChunks.file(730 + f, 3L * CHUNK), scratch);
        }
        assertThat(cache.residentBytes() + cache.reservedBytes()).isLessThanOrEqualTo(4L * CHUNK);
        assertThat(cache.reservedChunks()).isEqualTo(1);
        for (long c = 1; c < 4; c++)
        {
            assertThat(cache.reserve(file, c, CHUNK, again)).isEqualTo(ChunkCache.RESERVED);
            assertThat(again.payloadAddress()).as("its memory is never handed out again").isNotEqualTo(address);
            cache.abort(again);
        }
    }

    @Test
    void persistedFileRecoveredAfterAStopMidFetchDropsTheChunkThatWasFillingAndServesTheRest() throws Exception
    {
        final Path file = dir.resolve("chunks.cm");
        final ChunkCacheConfig config = ChunkCacheConfig.builder().chunkSize(CHUNK).budgetBytes(8L * CHUNK).cacheFile(file).build();
        final CacheFileIdentity kept = TestChunks.file(740, 2L * CHUNK);
        final CacheFileIdentity filling = TestChunks.file(741, 2L * CHUNK);
        final Path snapshot = dir.resolve("snapshot.cm");
        try (ChunkCache first = ChunkCache.open(config))
        {
            putFile(first, kept, scratch);
            final ChunkReservation r = new ChunkReservation();
            assertThat(first.reserve(filling, 1, CHUNK, r)).isEqualTo(ChunkCache.RESERVED);
            fill(r, filling, 1, 0, CHUNK / 3);
            // what a process killed mid-fetch leaves on disk: the shared mapping as it is now, side-car "in use"
            Files.copy(file, snapshot);
            first.abort(r);
        }
        Files.copy(snapshot, file, StandardCopyOption.REPLACE_EXISTING);
        CacheFileFormat.write(file, config, ChunkLayout.STATE_OPEN);
        final ChunkReservation r = new ChunkReservation();

        cache = ChunkCache.open(config);
        assertThat(cache.openOutcome()).isEqualTo(ChunkCache.OpenOutcome.RECOVERED);
        assertThat(cache.openReason()).contains("unclean");
        assertThat(cache.residentChunks()).isEqualTo(2);
        assertThat(cache.mapSize()).isEqualTo(2);
        assertChunkServed(kept, 0);
        assertChunkServed(kept, 1);
        assertThat(cache.read(filling, CHUNK, 100, dest.addressOffset())).isEqualTo(ChunkCache.MISS);
        assertThat(cache.reserve(filling, 1, CHUNK, r)).isEqualTo(ChunkCache.RESERVED);
        fill(r, filling, 1, 0, CHUNK);
        assertThat(cache.commit(r)).isTrue();
        assertChunkServed(filling, 1);
    }

    @Test
    void committedReservationOfAPersistedCacheCarriesItsChecksumAcrossARestart() throws Exception
    {
        final Path file = dir.resolve("chunks.cm");
        final ChunkCacheConfig config = ChunkCacheConfig.builder().chunkSize(CHUNK).budgetBytes(8L * CHUNK).cacheFile(file).build();
        final CacheFileIdentity f = TestChunks.file(742, 2L * CHUNK - 5);
        try (ChunkCache first = ChunkCache.open(config))
        {
            final ChunkReservation r = new ChunkReservation();
            for (long c = 0; c < 2; c++)
            {
                assertThat(first.reserve(f, c, (int)first.expectedChunkLength(f, c), r)).isEqualTo(ChunkCache.RESERVED);
                fill(r, f, c, 0, r.length());
                assertThat(first.commit(r)).isTrue();
            }
        }
        cache = ChunkCache.open(config);
        assertThat(cache.openOutcome()).as("every checksum verified").isEqualTo(ChunkCache.OpenOutcome.RECOVERED);
        assertThat(cache.residentChunks()).isEqualTo(2);
        assertChunkServed(f, 0);
        assertChunkServed(f, 1);
    }
}
