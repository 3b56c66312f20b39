package io.fuseengine.fuse.e2e;

import io.fuseengine.sim.RqbitSim;
import io.fuseengine.sim.SimFile;
import io.fuseengine.sim.SimTorrent;
import io.fuseengine.sim.TorrentSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * rqbit down at mount time, restarted under open files, and forgetting a torrent that is being read.
 */
@Timeout(90)
class BackendOutageTest
{
    private static final long VIDEO = 48L * 1024 * 1024 + 3;

    @TempDir
    Path tmp;

    private SimMount fx;

    @AfterEach
    void unmount()
    {
        if (fx != null)
        {
            fx.close();
        }
    }

    private List<String> rootNames() throws IOException
    {
        try (Stream<Path> s = Files.list(fx.mnt))
        {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }

    private static void assertReads(final FileChannel ch, final SimFile f, final long pos, final int len) throws IOException
    {
        final byte[] want = new byte[len];
        f.read(pos, want, 0, len);
        assertThat(Arrays.equals(SimMount.readAt(ch, pos, len), want)).as("bytes at " + pos).isTrue();
    }

    @Test
    void backendDownAtMountGivesAnEmptyRootThatFillsInWhenRqbitStarts() throws Exception
    {
        final RqbitSim sim = SimMount.startSim();
        final SimTorrent solo = sim.addTorrent(TorrentSpec.singleFile("solo.iso", 2 * 1024 * 1024 + 1));
        sim.stop();
        fx = SimMount.start(sim, tmp, c -> c.refreshInterval(Duration.ofMillis(200)));
        assertThat(rootNames()).isEmpty();
        assertThat(fx.engine().catalog().backendReachable()).isFalse();

        sim.restart();
        assertThat(SimMount.await(Duration.ofSeconds(10), () -> Files.exists(fx.mnt.resolve("solo.iso")))).isTrue();
        assertThat(fx.engine().catalog().backendReachable()).isTrue();
        try (FileChannel ch = FileChannel.open(fx.mnt.resolve("solo.iso"), StandardOpenOption.READ))
        {
            assertReads(ch, solo.files().get(0), 2 * 1024 * 1024 - 100, 101);
        }
    }

    @Test
    void openFileKeepsReadingAcrossADaemonRestartThatRenumbersTorrents() throws Exception
    {
        final RqbitSim sim = SimMount.startSim();
        sim.addTorrent(TorrentSpec.builder("first").file(1000, "a.txt").file(2000, "b.txt").build());
        final SimTorrent show = sim.addTorrent(TorrentSpec.builder("show").file(VIDEO, "video.mkv").file(10, "x.nfo").build());
        fx = SimMount.start(sim, tmp, c -> { });
        final long idBefore = show.id();
        final SimFile video = show.files().get(0);
        try (FileChannel ch = FileChannel.open(fx.mnt.resolve("show/video.mkv"), StandardOpenOption.READ))
        {
            assertReads(ch, video, 0, 100_000);
            sim.restart();
            assertThat(sim.torrent(show.infoHash()).orElseThrow().id()).isNotEqualTo(idBefore);
            assertReads(ch, video, 20L * 1024 * 1024, 300_000);
            assertThat(fx.refreshNow()).isTrue();
            assertReads(ch, video, VIDEO - 50_000, 50_000);
        }
        assertThat(rootNames()).containsExactlyInAnyOrder("first", "show");
    }

    @Test
    void forgottenTorrentFailsTheNextReadPromptlyAndVanishesAfterRefresh() throws Exception
    {
        final RqbitSim sim = SimMount.startSim();
        final SimTorrent show = sim.addTorrent(TorrentSpec.builder("show").file(VIDEO, "video.mkv").file(10, "x.nfo").build());
        sim.addTorrent(TorrentSpec.singleFile("stays.bin", 1000));
        fx = SimMount.start(sim, tmp, c -> { });
        try (FileChannel ch = FileChannel.open(fx.mnt.resolve("show/video.mkv"), StandardOpenOption.READ))
        {
            assertReads(ch, show.files().get(0), 0, 100_000);
            assertThat(sim.forget(show.infoHash())).isTrue();

            final long t0 = System.nanoTime();
            assertThatThrownBy(() -> SimMount.readAt(ch, 30L * 1024 * 1024, 100_000))
                .isInstanceOf(IOException.class)
                .satisfies(e -> assertThat(e.getMessage()).containsAnyOf("No such file or directory", "Input/output error"));
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(3));
        }
        assertThat(fx.refreshNow()).isTrue();
        assertThat(rootNames()).containsExactly("stays.bin");
        assertThat(Files.exists(fx.mnt.resolve("show/x.nfo"))).isFalse();
    }
}
