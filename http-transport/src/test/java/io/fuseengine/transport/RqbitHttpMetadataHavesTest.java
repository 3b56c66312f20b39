package io.fuseengine.transport;

import io.fuseengine.core.errno.Errno;
import io.fuseengine.core.meta.MetadataException;
import io.fuseengine.core.meta.PieceMap;
import io.fuseengine.core.meta.TorrentHaves;
import io.fuseengine.sim.RqbitSim;
import io.fuseengine.sim.RqbitVersion;
import io.fuseengine.sim.SimConfig;
import io.fuseengine.sim.SimTorrent;
import io.fuseengine.sim.TorrentSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code /haves} and {@code /metadata} through real HTTP against the simulator of every rqbit version. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RqbitHttpMetadataHavesTest
{
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private static RqbitHttpMetadata client(final RqbitSim sim)
    {
        return new RqbitHttpMetadata(URI.create(sim.baseUrl()), null, null, TIMEOUT, TIMEOUT);
    }

    private static SimTorrent partlyDownloaded(final RqbitSim sim)
    {
        // 11 pieces of 16 KiB (the last one short) across a file, a padding file and another file
        final SimTorrent t = sim.addTorrent(TorrentSpec.builder("partly").pieceLength(16384)
            .file(100_000, "a.bin").paddingFile(16384 * 7 - 100_000).file(60_000, "b.bin").build());
        t.markPieceMissing(2);
        t.markPieceMissing(10);
        return t;
    }

    @ParameterizedTest
    @EnumSource(value = RqbitVersion.class, names = {"V8", "V9"})
    void shouldReadTheBitfieldAndPieceLengthOfV8AndV9(final RqbitVersion version) throws Exception
    {
        try (RqbitSim sim = RqbitSim.start(SimConfig.builder().version(version).port(0).build());
             RqbitHttpMetadata meta = client(sim))
        {
            final SimTorrent t = partlyDownloaded(sim);
            assertThat(t.totalPieces()).isEqualTo(11);

            final TorrentHaves h = meta.haves(t.infoHash());
            assertThat(h.exactCount()).isEqualTo(version == RqbitVersion.V9);
            assertThat(h.bitCount()).isEqualTo(version == RqbitVersion.V9 ? 11 : 16);
            for (int p = 0; p < t.totalPieces(); p++)
            {
                assertThat(h.has(p)).as("piece %d", p).isEqualTo(t.hasPiece(p));
            }
            assertThat(meta.pieceLength(t.infoHash())).isEqualTo(16384);

            // the whole chain: details + piece length + bitfield give the sim's own answer
            final PieceMap m = PieceMap.empty().withGeometry(meta.torrentDetails(t.infoHash()), meta.pieceLength(t.infoHash()))
                .withBits(h, System.nanoTime());
            final long now = System.nanoTime();
            assertThat(m.fileOffset(2)).isEqualTo(16384 * 7);
            assertThat(m.classify(0, 100_000, 0, 32768, now)).isEqualTo(PieceMap.AVAILABLE);
            assertThat(m.classify(0, 100_000, 32768, 1, now)).isEqualTo(PieceMap.MISSING);
            assertThat(m.classify(2, 60_000, 0, 60_000 - 16384 * 3, now)).isEqualTo(PieceMap.AVAILABLE);
            assertThat(m.classify(2, 60_000, 59_999, 1, now)).as("the last, short piece").isEqualTo(PieceMap.MISSING);
        }
    }

    @Test
    void shouldReportV7AsUnsupportedOnceAndNotAskAgain() throws Exception
    {
        try (RqbitSim sim = RqbitSim.start(SimConfig.builder().version(RqbitVersion.V7).port(0).build());
             RqbitHttpMetadata meta = client(sim))
        {
            final SimTorrent t = partlyDownloaded(sim);
            assertThatThrownBy(() -> meta.haves(t.infoHash())).isInstanceOf(MetadataException.class)
                .satisfies(e -> assertThat(((MetadataException)e).errno()).isEqualTo(Errno.ENOSYS));
            assertThatThrownBy(() -> meta.pieceLength(t.infoHash())).isInstanceOf(MetadataException.class)
                .satisfies(e -> assertThat(((MetadataException)e).errno()).isEqualTo(Errno.ENOSYS));
            final long requests = sim.stats().metadataRequests();
            for (int i = 0; i < 5; i++)
            {
                assertThatThrownBy(() -> meta.haves(t.infoHash())).isInstanceOf(MetadataException.class)
                    .hasMessageContaining("not supported");
                assertThatThrownBy(() -> meta.pieceLength(t.infoHash())).isInstanceOf(MetadataException.class);
            }
            assertThat(sim.stats().metadataRequests()).as("the daemon is not hammered").isEqualTo(requests);
            assertThat(meta.progress(t.infoHash()).fileProgress(0)).as("stats still work").isEqualTo(100_000 - 16384);
        }
    }

    @Test
    void shouldAnswerEnoentForAnUnknownTorrentAndKeepTheEndpoint() throws Exception
    {
        try (RqbitSim sim = RqbitSim.start(SimConfig.builder().version(RqbitVersion.V9).port(0).build());
             RqbitHttpMetadata meta = client(sim))
        {
            final SimTorrent t = partlyDownloaded(sim);
            assertThatThrownBy(() -> meta.haves("0".repeat(40))).isInstanceOf(MetadataException.class)
                .satisfies(e -> assertThat(((MetadataException)e).errno()).isEqualTo(Errno.ENOENT));
            assertThatThrownBy(() -> meta.pieceLength("0".repeat(40))).isInstanceOf(MetadataException.class)
                .satisfies(e -> assertThat(((MetadataException)e).errno()).isEqualTo(Errno.ENOENT));
            assertThat(meta.haves(t.infoHash()).bitCount()).isEqualTo(11);
        }
    }
}
