package io.fuseengine.core.meta;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.fuseengine.core.meta.PieceMap.AVAILABLE;
import static io.fuseengine.core.meta.PieceMap.MISSING;
import static io.fuseengine.core.meta.PieceMap.PAUSED;
import static io.fuseengine.core.meta.PieceMap.UNKNOWN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PieceMapTest
{
    private static final long KIB = 1024;
    private static final long T0 = 1_000_000_000L;

    private static TorrentFile file(final int index, final long length)
    {
        return new TorrentFile(index, "f" + index, List.of("f" + index), length, true, false);
    }

    private static TorrentFile padding(final int index, final long length)
    {
        return new TorrentFile(index, ".pad/" + length, List.of(".pad", Long.toString(length)), length, true, true);
    }

    private static TorrentDetails details(final int totalPieces, final TorrentFile... files)
    {
        return new TorrentDetails("0".repeat(40), "t", totalPieces, List.of(files));
    }

    /** MSB-first bitfield of {@code pieces} bits (rounded up to bytes), bit i set iff {@code had[i]}. */
    private static byte[] bits(final int bitCount, final int... missing)
    {
        final byte[] b = new byte[(bitCount + 7) / 8];
        for (int i = 0; i < bitCount; i++)
        {
            b[i >>> 3] |= (byte)(0x80 >>> (i & 7));
        }
        for (final int m : missing)
        {
            b[m >>> 3] &= (byte)~(0x80 >>> (m & 7));
        }
        return b;
    }

    private static TorrentProgress stats(final String state, final boolean finished, final long... fileProgress)
    {
        return new TorrentProgress(state, 0, 0, finished, fileProgress);
    }

    @Test
    void shouldDeriveThePowerOfTwoPieceLengthFromTheTotalLengthAndPieceCount()
    {
        assertThat(PieceMap.powerOfTwoPieceLength(10 * 256 * KIB + 5, 11)).isEqualTo(256 * KIB);
        assertThat(PieceMap.powerOfTwoPieceLength(8 * 256 * KIB, 8)).isEqualTo(256 * KIB);
        assertThat(PieceMap.powerOfTwoPieceLength(8 * 256 * KIB, 16)).isEqualTo(128 * KIB);
        assertThat(PieceMap.powerOfTwoPieceLength(276_445_327L, 1055)).isEqualTo(256 * KIB);
        assertThat(PieceMap.powerOfTwoPieceLength(1000, 1)).as("one piece: any length >= total").isEqualTo(KIB);
        assertThat(PieceMap.powerOfTwoPieceLength(1_000_000, 3)).as("no power of two gives 3 pieces").isEqualTo(-1);
        assertThat(PieceMap.powerOfTwoPieceLength(0, 0)).isEqualTo(-1);
    }

    @Test
    void shouldDeriveThePieceLengthFromAPaddedBitCountOnlyWhenOneLayoutFits()
    {
        assertThat(PieceMap.powerOfTwoPieceLengthPadded(20 * 16 * KIB, 24)).isEqualTo(16 * KIB);
        assertThat(PieceMap.powerOfTwoPieceLengthPadded(10 * KIB + 100, 16)).isEqualTo(KIB);
        // 5 KiB: 1 KiB pieces (5), 2 KiB (3), 4 KiB (2), 8 KiB (1) all round up to one byte
        assertThat(PieceMap.powerOfTwoPieceLengthPadded(5 * KIB, 8)).isEqualTo(-1);
        assertThat(PieceMap.powerOfTwoPieceLengthPadded(5 * KIB, 12)).as("not a whole byte").isEqualTo(-1);
    }

    @Test
    void shouldPlaceFilesAtTheRunningSumOfTheLengthsBeforeThemPaddingIncluded()
    {
        final PieceMap m = PieceMap.empty()
            .withGeometry(details(4, file(0, 1000), padding(1, 16 * KIB - 1000), file(2, 40 * KIB)), 16 * KIB);
        assertThat(m.fileOffset(0)).isZero();
        assertThat(m.fileOffset(1)).isEqualTo(1000);
        assertThat(m.fileOffset(2)).isEqualTo(16 * KIB);
        assertThat(m.totalLength()).isEqualTo(56 * KIB);
        assertThat(m.totalPieces()).isEqualTo(4);

        // piece 1 (bytes 16 KiB..32 KiB: the start of file 2) missing
        final PieceMap b = m.withBits(new TorrentHaves(bits(4, 1), 4, true), T0);
        assertThat(b.classify(0, 1000, 0, 1000, T0)).isEqualTo(AVAILABLE);
        assertThat(b.classify(2, 40 * KIB, 0, 1, T0)).isEqualTo(MISSING);
        assertThat(b.classify(2, 40 * KIB, 16 * KIB, 16 * KIB, T0)).as("file 2's second 16 KiB are piece 2")
            .isEqualTo(AVAILABLE);
        assertThat(b.classify(2, 40 * KIB, 16 * KIB - 1, 2, T0)).as("straddles pieces 1 and 2").isEqualTo(MISSING);
    }

    @Test
    void shouldClassifyRangesSpanningPiecesAndTheLastShortPiece()
    {
        final long total = 10 * KIB + 100; // 10 pieces of 1 KiB and a last piece of 100 bytes
        final PieceMap m = PieceMap.empty().withGeometry(details(11, file(0, total)), 0)
            .withBits(new TorrentHaves(bits(11, 5), 11, true), T0);
        assertThat(m.pieceLength()).isEqualTo(KIB);
        assertThat(m.classify(0, total, 0, 5 * KIB, T0)).as("pieces 0-4").isEqualTo(AVAILABLE);
        assertThat(m.classify(0, total, 4000, 1200, T0)).as("pieces 3-5").isEqualTo(MISSING);
        assertThat(m.classify(0, total, 5 * KIB - 1, 1, T0)).as("last byte of piece 4").isEqualTo(AVAILABLE);
        assertThat(m.classify(0, total, 5 * KIB, 1, T0)).as("first byte of piece 5").isEqualTo(MISSING);
        assertThat(m.classify(0, total, 6 * KIB, total - 6 * KIB, T0)).as("pieces 6-10, to the end").isEqualTo(AVAILABLE);
        assertThat(m.classify(0, total, 10 * KIB + 99, 1, T0)).as("the last byte").isEqualTo(AVAILABLE);
        assertThat(m.classify(0, total, 10 * KIB + 99, 2, T0)).as("past the end").isEqualTo(UNKNOWN);
        assertThat(m.classify(0, total + 1, 0, 1, T0)).as("another file length").isEqualTo(UNKNOWN);
        assertThat(m.classify(0, total, 0, 0, T0)).as("empty range").isEqualTo(AVAILABLE);

        assertThat(m.availableBytes(0, total, 4000, 100 * KIB)).as("up to piece 5").isEqualTo(5 * KIB - 4000);
        assertThat(m.availableBytes(0, total, 5 * KIB + 10, KIB)).isZero();
        assertThat(m.availableBytes(0, total, 6 * KIB, 100 * KIB)).isEqualTo(total - 6 * KIB);

        final PieceMap lastMissing = m.withBits(new TorrentHaves(bits(11, 10), 11, true), T0 + 1);
        assertThat(lastMissing.classify(0, total, 10 * KIB, 100, T0 + 1)).isEqualTo(MISSING);
        assertThat(lastMissing.classify(0, total, 5 * KIB, 1, T0 + 1)).as("piece 5 arrived").isEqualTo(AVAILABLE);
    }

    @Test
    void shouldIgnoreBitsPastTheLastPieceOfAPaddedBitfield()
    {
        final long total = 10 * KIB + 100;
        // rqbit 8: no total_pieces, 16 bits for 11 pieces; the 5 padding bits are set, piece 10 is not
        final byte[] b = bits(16, 10);
        final PieceMap m = PieceMap.empty().withGeometry(details(-1, file(0, total)), 0)
            .withBits(new TorrentHaves(b, 16, false), T0);
        assertThat(m.pieceLength()).isEqualTo(KIB);
        assertThat(m.totalPieces()).isEqualTo(11);
        assertThat(m.classify(0, total, 10 * KIB, 100, T0)).isEqualTo(MISSING);
        assertThat(m.classify(0, total, 0, 10 * KIB, T0)).isEqualTo(AVAILABLE);
    }

    @Test
    void shouldRejectABitfieldThatDoesNotFitTheTorrentWithoutChangingTheSnapshot()
    {
        final PieceMap m = PieceMap.empty().withGeometry(details(11, file(0, 10 * KIB + 100)), 0);
        assertThatThrownBy(() -> m.withBits(new TorrentHaves(bits(12), 12, true), T0))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("12 bits").hasMessageContaining("11 pieces");
        assertThatThrownBy(() -> m.withBits(new TorrentHaves(bits(24), 24, false), T0))
            .isInstanceOf(IllegalArgumentException.class);
        assertThat(m.withBits(new TorrentHaves(bits(16), 16, false), T0).hasBits()).as("padded to 16: fits").isTrue();
        assertThat(m.hasBits()).isFalse();
        assertThatThrownBy(() -> PieceMap.empty().withBits(new TorrentHaves(bits(8), 8, true), T0))
            .as("no geometry").isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TorrentHaves(new byte[2], 17, true)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldRejectAPieceLengthThatContradictsThePieceCount()
    {
        assertThatThrownBy(() -> PieceMap.empty().withGeometry(details(11, file(0, 10 * KIB + 100)), 2 * KIB))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rqbit counts 11");
        // a non-power-of-two piece length from /metadata is taken as is
        final PieceMap m = PieceMap.empty().withGeometry(details(-1, file(0, 10_000)), 1000)
            .withBits(new TorrentHaves(bits(10, 3), 10, true), T0);
        assertThat(m.classify(0, 10_000, 2999, 1, T0)).isEqualTo(AVAILABLE);
        assertThat(m.classify(0, 10_000, 3000, 1, T0)).isEqualTo(MISSING);
        // without it, no power of two gives 3 pieces of 1,000,000 bytes: unknown, never guessed
        final PieceMap u = PieceMap.empty().withGeometry(details(3, file(0, 1_000_000)), 0);
        assertThat(u.pieceLength()).isEqualTo(-1);
        assertThatThrownBy(() -> u.withBits(new TorrentHaves(bits(3), 3, true), T0))
            .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldAnswerPausedOnlyForMissingPiecesWithFreshStatsAndEvidenceTakenWhilePaused()
    {
        final long total = 4 * KIB;
        final PieceMap geometry = PieceMap.empty().withGeometry(details(4, file(0, total)), 0);
        final TorrentHaves piece2Missing = new TorrentHaves(bits(4, 2), 4, true);

        final PieceMap paused = geometry.withStats(stats("paused", false, 3 * KIB), T0)
            .withBits(piece2Missing, T0 + 1);
        assertThat(paused.classify(0, total, 2 * KIB, 10, T0 + 2)).isEqualTo(PAUSED);
        assertThat(paused.classify(0, total, 0, 2 * KIB, T0 + 2)).as("had pieces still read").isEqualTo(AVAILABLE);
        final long late = T0 + PieceMap.PAUSED_FRESH_NS + 2;
        assertThat(paused.classify(0, total, 2 * KIB, 10, late)).as("stats too old to say paused").isEqualTo(MISSING);
        final long stale = T0 + PieceMap.STALE_NS + 2;
        assertThat(paused.classify(0, total, 2 * KIB, 10, stale)).isEqualTo(UNKNOWN);
        assertThat(paused.classify(0, total, 0, 10, stale)).as("had pieces stay had").isEqualTo(AVAILABLE);

        // a bitfield taken while it was live may miss pieces that arrived before the pause
        final PieceMap bitsFirst = geometry.withBits(piece2Missing, T0).withStats(stats("paused", false, 3 * KIB), T0 + 1);
        assertThat(bitsFirst.classify(0, total, 2 * KIB, 10, T0 + 2)).isEqualTo(MISSING);
        // the next poll: stats still paused (the streak keeps its start), a new bitfield: now it is certain
        final PieceMap next = bitsFirst.withStats(stats("paused", false, 3 * KIB), T0 + 5).withBits(piece2Missing, T0 + 6);
        assertThat(next.classify(0, total, 2 * KIB, 10, T0 + 7)).isEqualTo(PAUSED);
        // resumed
        final PieceMap live = next.withStats(stats("live", false, 3 * KIB), T0 + 8);
        assertThat(live.classify(0, total, 2 * KIB, 10, T0 + 9)).isEqualTo(MISSING);
        // stats older than the ones held are ignored
        assertThat(live.withStats(stats("paused", false, 3 * KIB), T0 + 7).classify(0, total, 2 * KIB, 10, T0 + 9))
            .isEqualTo(MISSING);
    }

    @Test
    void shouldUseFileProgressAndFinishedWithoutABitfield()
    {
        final PieceMap g = PieceMap.empty().withGeometry(details(-1, file(0, 3000), file(1, 5000), file(2, 7000)), 0);
        final PieceMap m = g.withStats(stats("live", false, 3000, 0, 1234), T0);
        assertThat(m.classify(0, 3000, 0, 3000, T0)).as("complete file").isEqualTo(AVAILABLE);
        assertThat(m.classify(1, 5000, 100, 10, T0)).as("nothing of the file").isEqualTo(MISSING);
        assertThat(m.classify(2, 7000, 0, 10, T0)).as("part of the file: which part is not known").isEqualTo(UNKNOWN);
        assertThat(m.complete()).isFalse();
        assertThat(g.withStats(stats("paused", false, 3000, 0, 1234), T0).classify(1, 5000, 0, 10, T0 + 1))
            .isEqualTo(PAUSED);

        final PieceMap finished = g.withStats(stats("live", true, 3000, 5000, 7000), T0);
        assertThat(finished.classify(2, 7000, 6000, 1000, T0 + TimeUnit.HOURS.toNanos(1))).isEqualTo(AVAILABLE);
        assertThat(finished.complete()).isTrue();
        // no per-file progress at all: finished means every byte
        assertThat(PieceMap.empty().withStats(stats("live", true), T0).classify(1, 5000, 0, 10, T0)).isEqualTo(AVAILABLE);
        // progress that does not describe these files is not used
        assertThat(g.withStats(stats("live", false, 3000, 5000), T0).classify(0, 3000, 0, 10, T0)).isEqualTo(UNKNOWN);
        assertThat(PieceMap.empty().classify(0, 10, 0, 10, T0)).isEqualTo(UNKNOWN);
    }
}
