package io.fuseengine.transport;

import io.fuseengine.core.errno.Errno;
import io.fuseengine.core.meta.MetadataException;
import io.fuseengine.sim.FaultInjector.Fault;
import io.fuseengine.sim.FaultInjector.Target;
import io.fuseengine.sim.RqbitSim;
import io.fuseengine.sim.RqbitVersion;
import io.fuseengine.sim.SimConfig;
import io.fuseengine.sim.SimTorrent;
import io.fuseengine.sim.TorrentSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

import static io.fuseengine.transport.RqbitHttpMetadataTest.client;
import static io.fuseengine.transport.RqbitHttpMetadataTest.errno;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RqbitHttpMetadataAddTest
{
    private static final Duration ADD_TIMEOUT = Duration.ofSeconds(5);

    @Test
    void shouldAddMagnetAndAnswerTheTorrentRqbitHas() throws Exception
    {
        try (RqbitSim sim = RqbitSim.start(SimConfig.builder().version(RqbitVersion.V9).port(0).build());
             RqbitHttpMetadata meta = client(sim))
        {
            sim.addTorrent(TorrentSpec.singleFile("first.iso", 1000));
            final SimTorrent t = sim.addTorrent(TorrentSpec.singleFile("solo.iso", 70000));
            final byte[] magnet = ("magnet:?xt=urn:btih:" + t.infoHash().toUpperCase() + "&dn=solo")
                .getBytes(StandardCharsets.UTF_8);

            final AddedTorrent added = meta.add(magnet, false, ADD_TIMEOUT);

            assertThat(added.id()).isEqualTo(t.id());
            assertThat(added.infoHash()).isEqualTo(t.infoHash());
            assertThat(added.name()).isEqualTo("solo.iso");
            assertThat(added.outputFolder()).isEqualTo(t.outputFolder());
        }
    }

    @Test
    void shouldAddTorrentFileBytes() throws Exception
    {
        try (RqbitSim sim = RqbitSim.start(SimConfig.builder().version(RqbitVersion.V8).port(0).build());
             RqbitHttpMetadata meta = client(sim))
        {
            final byte[][] file = torrentFile("movie.mkv", 5000);
            final SimTorrent t = sim.addTorrent(TorrentSpec.builder("movie.mkv").singleFile(5000)
                .infoHash(HexFormat.of().formatHex(file[1])).build());

            final AddedTorrent added = meta.add(file[0], false, ADD_TIMEOUT);

            assertThat(added.infoHash()).isEqualTo(t.infoHash());
            assertThat(added.id()).isEqualTo(t.id());
        }
    }

    @Test
    void shouldReportRqbitsOwnMessageWhenItRefuses() throws Exception
    {
        try (RqbitSim sim = RqbitSim.start(SimConfig.builder().version(RqbitVersion.V9).port(0).build());
             RqbitHttpMetadata meta = client(sim))
        {
            final byte[] url = "https://example.invalid/x.torrent".getBytes(StandardCharsets.UTF_8);
            assertThatThrownBy(() -> meta.add(url, true, ADD_TIMEOUT))
                .satisfies(errno(Errno.EIO))
                .hasMessageContaining("HTTP 500")
                .hasMessageContaining("cannot fetch https://example.invalid/x.torrent");

            final byte[] junk = "neither magnet nor torrent".getBytes(StandardCharsets.UTF_8);
            assertThatThrownBy(() -> meta.add(junk, false, ADD_TIMEOUT))
                .satisfies(errno(Errno.EINVAL))
                .hasMessageContaining("HTTP 400")
                .hasMessageContaining("error decoding torrent");
        }
    }

    @Test
    void shouldFailWithEtimedoutWhenAddGetsNoAnswerInTime() throws Exception
    {
        try (RqbitSim sim = RqbitSim.start(SimConfig.builder().version(RqbitVersion.V9).port(0).build());
             RqbitHttpMetadata meta = client(sim))
        {
            final SimTorrent t = sim.addTorrent(TorrentSpec.singleFile("solo.iso", 70000));
            sim.faults().inject(Fault.STALL_BEFORE_HEADERS, Target.METADATA, null, 1);
            final long start = System.nanoTime();
            assertThatThrownBy(() -> meta.add(("magnet:?xt=urn:btih:" + t.infoHash()).getBytes(StandardCharsets.UTF_8),
                false, Duration.ofMillis(500)))
                .isInstanceOf(MetadataException.class).satisfies(errno(Errno.ETIMEDOUT));
            assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(3));
        }
    }

    @Test
    void shouldReadDownloadSpeedAndPeersOfLiveTorrentAndNoneOfPausedOne() throws Exception
    {
        try (RqbitSim sim = RqbitSim.start(SimConfig.builder().version(RqbitVersion.V9).port(0)
                .downloadRateBytesPerSecond(1024 * 1024).build());
             RqbitHttpMetadata meta = client(sim))
        {
            final SimTorrent t = sim.addTorrent(TorrentSpec.singleFile("big.iso", 64L * 1024 * 1024));
            final TorrentStats live = meta.stats(t.infoHash());
            assertThat(live.finished()).isFalse();
            assertThat(live.downloadMibps()).isEqualTo(1.0);
            assertThat(live.livePeers()).isEqualTo(1);

            assertThat(new TorrentStats("paused", 1, 2, false, new long[0]).livePeers()).isEqualTo(-1);
        }
    }

    /**
     * @return {the .torrent bytes, the SHA-1 of its bencoded info dictionary}.
     */
    static byte[][] torrentFile(final String name, final long length) throws Exception
    {
        final ByteArrayOutputStream info = new ByteArrayOutputStream();
        info.writeBytes(("d6:lengthi" + length + "e4:name" + name.length() + ":" + name
            + "12:piece lengthi16384e6:pieces20:").getBytes(StandardCharsets.UTF_8));
        info.writeBytes(new byte[20]);
        info.writeBytes("e".getBytes(StandardCharsets.UTF_8));
        final byte[] infoBytes = info.toByteArray();
        final ByteArrayOutputStream file = new ByteArrayOutputStream();
        file.writeBytes("d8:announce14:http://tracker4:info".getBytes(StandardCharsets.UTF_8));
        file.writeBytes(infoBytes);
        file.writeBytes("e".getBytes(StandardCharsets.UTF_8));
        return new byte[][] {file.toByteArray(), MessageDigest.getInstance("SHA-1").digest(infoBytes)};
    }
}
