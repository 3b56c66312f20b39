package io.fuseengine.transport;

import io.fuseengine.core.meta.PieceMap;
import io.fuseengine.core.read.PieceAvailability;
import io.fuseengine.core.read.PieceRefresher;
import io.fuseengine.core.read.StreamTarget;
import io.fuseengine.sim.RqbitSim;
import io.fuseengine.sim.RqbitVersion;
import io.fuseengine.sim.SimConfig;
import io.fuseengine.sim.SimTorrent;
import io.fuseengine.sim.TorrentSpec;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static io.fuseengine.transport.TransportHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The piece refresher against every rqbit version: v9's binary bitfield, v8's text dump (piece length from
 * /metadata), and v7 without either (verdicts from per-file progress alone).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PieceRefresherVersionsTest
{
    private static final int PIECE = 16384;

    @ParameterizedTest
    @EnumSource(RqbitVersion.class)
    void shouldLearnWhichPiecesRqbitHasFromWhatEachVersionServes(final RqbitVersion version) throws Exception
    {
        try (RqbitSim sim = RqbitSim.start(SimConfig.builder().version(version).port(0).build());
             RqbitHttpMetadata meta = new RqbitHttpMetadata(URI.create(sim.baseUrl()), null, null,
                 Duration.ofSeconds(5), Duration.ofSeconds(5)))
        {
            // done.bin complete; part.bin half there (pieces 4-7 of 8 missing); none.bin not started
            final SimTorrent t = sim.addTorrent(TorrentSpec.builder("versions").pieceLength(PIECE)
                .file(4L * PIECE, "done.bin").file(8L * PIECE, "part.bin").file(2L * PIECE, "none.bin").build());
            for (int p = 8; p < 12; p++)
            {
                t.markPieceMissing(p);
            }
            t.markPieceMissing(12);
            t.markPieceMissing(13);
            final StreamTarget done = new StreamTarget(t.infoHash(), 0, 4L * PIECE, "versions/done.bin");
            final StreamTarget part = new StreamTarget(t.infoHash(), 1, 8L * PIECE, "versions/part.bin");
            final StreamTarget none = new StreamTarget(t.infoHash(), 2, 2L * PIECE, "versions/none.bin");

            final PieceAvailability pieces = new PieceAvailability();
            try (PieceRefresher refresher =
                     new PieceRefresher(meta, pieces, Duration.ofSeconds(30), Duration.ofSeconds(5)))
            {
                refresher.start();
                assertThat(pieces.classify(part, 0, PIECE)).as("nothing known yet").isEqualTo(PieceAvailability.UNKNOWN);
                // stats come first, the bitfield (v8, v9) right after them in the same poll
                assertThat(eventually(Duration.ofSeconds(10), () ->
                    pieces.classify(none, 0, PIECE) == PieceAvailability.MISSING && (version == RqbitVersion.V7
                        ? refresher.havesUnsupported() : pieces.snapshot(t.infoHash()).hasBits())))
                    .as("snapshot: %s", pieces.snapshot(t.infoHash())).isTrue();

                assertThat(pieces.classify(done, 0, 4L * PIECE)).isEqualTo(PieceAvailability.AVAILABLE);
                if (version == RqbitVersion.V7)
                {
                    assertThat(refresher.havesUnsupported()).isTrue();
                    assertThat(pieces.classify(part, 0, PIECE)).as("part of a file: which part is not known")
                        .isEqualTo(PieceAvailability.UNKNOWN);
                    assertThat(refresher.havesFetches()).isZero();
                }
                else
                {
                    assertThat(pieces.snapshot(t.infoHash()).pieceLength()).isEqualTo(PIECE);
                    assertThat(pieces.classify(part, 0, 4L * PIECE)).isEqualTo(PieceAvailability.AVAILABLE);
                    assertThat(pieces.classify(part, 4L * PIECE - 1, 2)).isEqualTo(PieceAvailability.MISSING);
                    assertThat(pieces.availableBytes(part, PIECE, 100L * PIECE)).isEqualTo(3L * PIECE);
                    assertThat(refresher.havesFetches()).isPositive();
                    assertThat(refresher.havesFailures()).isZero();
                }

                // the swarm delivers; a read that still finds pieces missing keeps the torrent polled
                t.markAllPiecesPresent();
                assertThat(eventually(Duration.ofSeconds(15), () -> pieces.classify(none, 0, 2L * PIECE)
                    == PieceAvailability.AVAILABLE)).isTrue();
                assertThat(pieces.classify(part, 0, 8L * PIECE)).isEqualTo(PieceAvailability.AVAILABLE);
                assertThat(pieces.snapshot(t.infoHash()).complete()).isTrue();
                assertThat(pieces.snapshot(t.infoHash()).state()).isEqualTo(PieceMap.STATE_LIVE);
            }
        }
    }
}
