package io.fuseengine.transport;

import io.fuseengine.core.errno.Errno;
import io.fuseengine.core.meta.MetadataException;
import io.fuseengine.core.meta.TorrentDetails;
import io.fuseengine.core.meta.TorrentFile;
import io.fuseengine.core.meta.TorrentSummary;
import io.fuseengine.sim.FaultInjector.Fault;
import io.fuseengine.sim.FaultInjector.Target;
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
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RqbitHttpMetadataTest
{
    /** Generous: the first request of a JVM's HttpClient is slow (class loading, TLS defaults) on a busy 2-core box. */
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final Duration SHORT_TIMEOUT = Duration.ofSeconds(1);

    @ParameterizedTest
    @EnumSource(RqbitVersion.class)
    void shouldParseListAndDetailsOfEveryVersion(final RqbitVersion version) throws Exception
    {
        try (RqbitSim sim = RqbitSim.start(SimConfig.builder().version(version).port(0).build());
             RqbitHttpMetadata meta = client(sim))
        {
            final SimTorrent multi = sim.addTorrent(TorrentSpec.builder("Multi Folder").pieceLength(16384)
                .file(1000, "dir", "a.bin").paddingFile(15384).file(5000, "b.txt").build());
            final SimTorrent solo = sim.addTorrent(TorrentSpec.singleFile("solo.iso", 70000));

            final List<TorrentSummary> list = meta.listTorrents();
            assertThat(list).extracting(TorrentSummary::infoHash).containsExactly(multi.infoHash(), solo.infoHash());
            assertThat(list).extracting(TorrentSummary::id).containsExactly(multi.id(), solo.id());
            assertThat(list).extracting(TorrentSummary::name)
                .containsExactly(version == RqbitVersion.V7 ? new String[] {null, null} : new String[] {"Multi Folder", "solo.iso"});

            final TorrentDetails d = meta.torrentDetails(multi.infoHash().toUpperCase());
            assertThat(d.infoHash()).isEqualTo(multi.infoHash());
            assertThat(d.name()).isEqualTo("Multi Folder");
            assertThat(d.totalPieces()).isEqualTo(version == RqbitVersion.V9 ? multi.totalPieces() : -1);
            assertThat(d.files()).extracting(TorrentFile::components)
                .containsExactly(List.of("dir", "a.bin"), List.of(".pad", "15384"), List.of("b.txt"));
            assertThat(d.files()).extracting(TorrentFile::length).containsExactly(1000L, 15384L, 5000L);
            assertThat(d.files()).extracting(TorrentFile::padding).containsExactly(false, true, false);
            assertThat(d.files()).extracting(TorrentFile::name).containsExactly("dir/a.bin", ".pad/15384", "b.txt");
            assertThat(d.totalLength()).isEqualTo(multi.totalLength());

            final TorrentDetails s = meta.torrentDetails(solo.infoHash());
            assertThat(s.files()).singleElement().satisfies(f ->
            {
                assertThat(f.components()).containsExactly("solo.iso");
                assertThat(f.length()).isEqualTo(70000);
                assertThat(f.index()).isZero();
                assertThat(f.included()).isTrue();
            });
        }
    }

    @Test
    void shouldReadStatsAndForgetTorrents() throws Exception
    {
        try (RqbitSim sim = RqbitSim.start(SimConfig.builder().version(RqbitVersion.V9).port(0).build());
             RqbitHttpMetadata meta = client(sim))
        {
            final SimTorrent t = sim.addTorrent(TorrentSpec.builder("s").file(1000, "a").file(2000, "b").build());
            final TorrentStats stats = meta.stats(t.infoHash());
            assertThat(stats.state()).isEqualTo("live");
            assertThat(stats.live()).isTrue();
            assertThat(stats.totalBytes()).isEqualTo(3000);
            assertThat(stats.finished()).isTrue();
            assertThat(stats.fileProgress()).containsExactly(1000, 2000);

            assertThat(meta.forget(t.infoHash())).isTrue();
            assertThat(meta.forget(t.infoHash())).as("unknown torrent").isFalse();
            assertThat(sim.torrent(t.infoHash())).isEmpty();
            assertThatThrownBy(() -> meta.torrentDetails(t.infoHash())).satisfies(errno(Errno.ENOENT));
        }
    }

    @ParameterizedTest
    @EnumSource(value = Fault.class, names = {"MALFORMED_JSON", "TRUNCATED_JSON", "STATUS_500", "STATUS_503"})
    void shouldFailWithEioWhenDaemonAnswersGarbageOrError(final Fault fault) throws Exception
    {
        try (RqbitSim sim = RqbitSim.start(SimConfig.builder().version(RqbitVersion.V9).port(0).build());
             RqbitHttpMetadata meta = client(sim))
        {
            final SimTorrent t = sim.addTorrent(TorrentSpec.singleFile("x", 10));
            sim.faults().inject(fault, Target.METADATA, null, 2);
            assertThatThrownBy(meta::listTorrents).satisfies(errno(Errno.EIO));
            assertThatThrownBy(() -> meta.torrentDetails(t.infoHash())).satisfies(errno(Errno.EIO));
            assertThat(meta.listTorrents()).hasSize(1);
        }
    }

    @Test
    void shouldFailWithEtimedoutWhenDaemonDoesNotAnswer() throws Exception
    {
        try (RqbitSim sim = RqbitSim.start(SimConfig.builder().version(RqbitVersion.V9).port(0).build());
             RqbitHttpMetadata meta = new RqbitHttpMetadata(URI.create(sim.baseUrl()), null, null, TIMEOUT, SHORT_TIMEOUT))
        {
            assertThat(meta.listTorrents()).isEmpty(); // warm up the client
            sim.faults().inject(Fault.STALL_BEFORE_HEADERS, Target.METADATA, null, 1);
            final long start = System.nanoTime();
            assertThatThrownBy(meta::listTorrents).satisfies(errno(Errno.ETIMEDOUT));
            assertThat(System.nanoTime() - start).isLessThan(SHORT_TIMEOUT.plusSeconds(1).toNanos());
        }
    }

    @Test
    void shouldFailWithEioWhenDaemonIsUnreachable() throws Exception
    {
        try (RqbitSim sim = RqbitSim.start(SimConfig.builder().version(RqbitVersion.V9).port(0).build());
             RqbitHttpMetadata meta = client(sim))
        {
            sim.stop();
            assertThatThrownBy(meta::listTorrents).satisfies(errno(Errno.EIO));
            sim.restart();
            assertThat(meta.listTorrents()).isEmpty();
        }
    }

    @Test
    void shouldRejectSomethingThatIsNotAnInfoHashBeforeSendingIt() throws Exception
    {
        try (RqbitSim sim = RqbitSim.start(SimConfig.builder().version(RqbitVersion.V9).port(0).build());
             RqbitHttpMetadata meta = client(sim))
        {
            final long before = sim.stats().metadataRequests();
            assertThatThrownBy(() -> meta.torrentDetails("../../stats")).satisfies(errno(Errno.EINVAL));
            assertThat(sim.stats().metadataRequests()).isEqualTo(before);
        }
    }

    static RqbitHttpMetadata client(final RqbitSim sim)
    {
        return new RqbitHttpMetadata(URI.create(sim.baseUrl()), null, null, TIMEOUT, TIMEOUT);
    }

    static java.util.function.Consumer<Throwable> errno(final int errno)
    {
        return t -> assertThat(t).isInstanceOfSatisfying(MetadataException.class,
            e -> assertThat(e.errno()).as("errno of: %s", e.getMessage()).isEqualTo(errno));
    }
}
