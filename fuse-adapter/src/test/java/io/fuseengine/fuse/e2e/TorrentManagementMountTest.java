package io.fuseengine.fuse.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fuseengine.core.config.EngineConfig;
import io.fuseengine.sim.RqbitSim;
import io.fuseengine.sim.SimTorrent;
import io.fuseengine.sim.TorrentSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Torrent management through a real mount over rqbit-sim: extended attributes, {@code st_blocks} following the
 * download, and removal with {@code rmdir}/{@code unlink} (rqbit forgets the torrent).
 */
@Timeout(90)
class TorrentManagementMountTest
{
    private static final int PIECE = 256 * 1024;
    private static final long VIDEO = 8L * PIECE;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private SimMount fx;
    private SimTorrent show;
    private SimTorrent solo;

    private void mount(final Consumer<EngineConfig.Context> tweaks) throws IOException
    {
        final RqbitSim sim = SimMount.startSim();
        show = sim.addTorrent(TorrentSpec.builder("show").pieceLength(PIECE)
            .file(VIDEO, "video.bin").file(1000, "sub", "notes.txt").build());
        solo = sim.addTorrent(TorrentSpec.singleFile("solo.iso", 5000));
        fx = SimMount.start(sim, tmp, tweaks);
    }

    @AfterEach
    void unmount()
    {
        if (fx != null)
        {
            fx.close();
        }
    }

    private static String xattr(final Path p, final String name) throws IOException
    {
        final UserDefinedFileAttributeView view = Files.getFileAttributeView(p, UserDefinedFileAttributeView.class);
        final ByteBuffer buf = ByteBuffer.allocate(view.size(name));
        view.read(name, buf);
        return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
    }

    private static List<String> xattrNames(final Path p) throws IOException
    {
        return Files.getFileAttributeView(p, UserDefinedFileAttributeView.class).list();
    }

    private static long stBlocks(final Path p) throws Exception
    {
        final Process proc = new ProcessBuilder("stat", "-c", "%b", p.toString()).redirectErrorStream(true).start();
        final String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(proc.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(proc.exitValue()).as(out).isZero();
        return Long.parseLong(out);
    }

    private static void assertErofs(final String what, final ThrowingRunnable op)
    {
        final Throwable t = catchThrowable(op::run);
        assertThat(t).as(what).isInstanceOf(FileSystemException.class);
        assertThat(((FileSystemException)t).getReason()).as(what).endsWith("Read-only file system");
    }

    private List<String> rootNames() throws IOException
    {
        try (Stream<Path> s = Files.list(fx.mnt))
        {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }

    @Test
    void torrentDirectoryAndItsFilesCarryInfoHashIdIndexProgressAndStatusAttributes() throws Exception
    {
        mount(c -> { });
        final Path dir = fx.mnt.resolve("show");
        final Path video = dir.resolve("video.bin");
        final Path notes = dir.resolve("sub/notes.txt");

        assertThat(xattrNames(dir)).containsExactly("torrent.info_hash", "torrent.id", "torrent.name",
            "torrent.progress", "torrent.pieces", "torrent.status");
        assertThat(xattrNames(video)).containsExactly("torrent.info_hash", "torrent.id", "torrent.name",
            "torrent.file_index", "torrent.progress", "torrent.pieces", "torrent.status");
        assertThat(xattrNames(fx.mnt)).as("the root belongs to no torrent").isEmpty();

        assertThat(xattr(dir, "torrent.info_hash")).isEqualTo(show.infoHash());
        assertThat(xattr(dir.resolve("sub"), "torrent.info_hash")).isEqualTo(show.infoHash());
        assertThat(xattr(dir, "torrent.id")).isEqualTo(Long.toString(show.id()));
        assertThat(xattr(dir, "torrent.name")).isEqualTo("show");
        assertThat(xattr(dir, "torrent.progress")).isEqualTo("1.0000");
        assertThat(xattr(dir, "torrent.pieces")).isEqualTo(show.totalPieces() + "/" + show.totalPieces());
        final JsonNode dirStatus = JSON.readTree(xattr(dir, "torrent.status"));
        assertThat(dirStatus.path("state").asText()).isEqualTo("live");
        assertThat(dirStatus.path("finished").asBoolean()).isTrue();
        assertThat(dirStatus.path("total_bytes").asLong()).isEqualTo(show.totalLength());
        assertThat(dirStatus.path("progress_bytes").asLong()).isEqualTo(show.totalLength());
        assertThat(dirStatus.has("file_length")).isFalse();

        assertThat(xattr(video, "torrent.file_index")).isEqualTo("0");
        assertThat(xattr(notes, "torrent.file_index")).isEqualTo("1");
        assertThat(xattr(notes, "torrent.info_hash")).isEqualTo(show.infoHash());
        final JsonNode fileStatus = JSON.readTree(xattr(video, "torrent.status"));
        assertThat(fileStatus.path("file_length").asLong()).isEqualTo(VIDEO);
        assertThat(fileStatus.path("file_progress").asLong()).isEqualTo(VIDEO);

        final Path soloFile = fx.mnt.resolve("solo.iso");
        assertThat(xattr(soloFile, "torrent.info_hash")).isEqualTo(solo.infoHash());
        assertThat(xattr(soloFile, "torrent.file_index")).isEqualTo("0");
        assertThat(xattr(soloFile, "torrent.name")).isEqualTo("solo.iso");
    }

    @Test
    void getxattrAnswersErangeForASmallBufferAndNoDataForAnUnknownName() throws Exception
    {
        mount(c -> { });
        final UserDefinedFileAttributeView view =
            Files.getFileAttributeView(fx.mnt.resolve("show"), UserDefinedFileAttributeView.class);
        assertThat(view.size("torrent.info_hash")).isEqualTo(40);
        assertThatThrownBy(() -> view.read("torrent.info_hash", ByteBuffer.allocate(10)))
            .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> view.size("torrent.no_such_thing")).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> view.size("other.name")).isInstanceOf(IOException.class);
        assertErofs("setxattr", () -> view.write("torrent.name", ByteBuffer.wrap(new byte[] {'x'})));
    }

    @Test
    void stBlocksFollowTheDownloadedBytesWhileStSizeStaysTheFullLength() throws Exception
    {
        mount(c -> c.fuseOption("attr_timeout=0"));       // the kernel asks getattr every time
        final Path video = fx.mnt.resolve("show/video.bin");
        assertThat(stBlocks(video)).isEqualTo(VIDEO / 512);

        show.markAllPiecesMissing();
        assertThat(fx.refreshNow()).isTrue();
        assertThat(stBlocks(video)).isZero();
        assertThat(Files.size(video)).isEqualTo(VIDEO);
        assertThat(xattr(video, "torrent.progress")).isEqualTo("0.0000");
        assertThat(xattr(fx.mnt.resolve("show"), "torrent.pieces")).isEqualTo("0/" + show.totalPieces());

        for (int p = 0; p < 4; p++)
        {
            show.markPiecePresent(p);
        }
        assertThat(fx.refreshNow()).isTrue();
        assertThat(stBlocks(video)).isEqualTo(4L * PIECE / 512);
        assertThat(Files.size(video)).isEqualTo(VIDEO);
        assertThat(xattr(video, "torrent.progress")).isEqualTo("0.5000");
        assertThat(xattr(fx.mnt.resolve("show"), "torrent.pieces")).isEqualTo("4/" + show.totalPieces());

        show.markAllPiecesPresent();
        assertThat(fx.refreshNow()).isTrue();
        assertThat(stBlocks(video)).isEqualTo(VIDEO / 512);
        assertThat(xattr(video, "torrent.progress")).isEqualTo("1.0000");
    }

    @Test
    void rmdirOfATorrentDirectoryForgetsItInRqbitAndItVanishesFromTheMount() throws Exception
    {
        mount(c -> { });
        final Path dir = fx.mnt.resolve("show");
        try (FileChannel ch = FileChannel.open(dir.resolve("video.bin"), StandardOpenOption.READ))
        {
            assertThat(SimMount.readAt(ch, 0, 4096)).hasSize(4096);

            Files.delete(dir);

            assertThat(fx.sim.torrent(show.infoHash())).as("rqbit forgot it").isEmpty();
            assertThat(Files.exists(dir)).isFalse();
            assertThat(rootNames()).containsExactly("solo.iso");
            assertThat(fx.engine().catalog().tree().containsTorrent(show.infoHash())).isFalse();
            // an open handle of the removed torrent: a read the page cache cannot answer fails at once
            assertThatThrownBy(() -> SimMount.readAt(ch, VIDEO - PIECE, 4096)).isInstanceOf(IOException.class);
        }
        assertThat(fx.refreshNow()).isTrue();
        assertThat(rootNames()).as("a refresh does not bring it back").containsExactly("solo.iso");
        assertThat(Files.readAllBytes(fx.mnt.resolve("solo.iso"))).hasSize(5000);
        assertThat(fx.engine().catalog().removalCount()).isEqualTo(1);
    }

    /**
     * libfuse 2's high-level API holds a path lock on every ancestor of a file for the whole of a read, and
     * {@code rmdir} takes that path for writing: the removal reaches the filesystem only once reads in flight below
     * it have ended, which they do by their own read timeout. No hang past it, and then the torrent is forgotten.
     */
    @Test
    void rmdirBehindAReadWaitingForAMissingPieceCompletesOnceTheReadTimesOutAndForgetsTheTorrent() throws Exception
    {
        final Duration readTimeout = Duration.ofSeconds(3);
        mount(c -> c.readTimeout(readTimeout));
        show.markAllPiecesMissing();
        final Path video = fx.mnt.resolve("show/video.bin");
        final ExecutorService pool = Executors.newFixedThreadPool(2);
        try (FileChannel ch = FileChannel.open(video, StandardOpenOption.READ))
        {
            final Future<byte[]> read = pool.submit(() -> SimMount.readAt(ch, 3L * PIECE, 4096));
            assertThat(SimMount.await(Duration.ofSeconds(10), () -> fx.sim.stats().openStreams() > 0 || read.isDone()))
                .as("the read reached rqbit and waits for the piece").isTrue();

            final Future<?> rmdir = pool.submit(() ->
            {
                Files.delete(fx.mnt.resolve("show"));
                return null;
            });
            // bounded by the read timeout (plus the kernel's one-page retry, answered from the failure memo)
            rmdir.get(readTimeout.toSeconds() * 4 + 10, TimeUnit.SECONDS);
            final Throwable t = catchThrowable(() -> read.get(10, TimeUnit.SECONDS));
            assertThat(t).isInstanceOf(java.util.concurrent.ExecutionException.class);
            assertThat(t.getCause()).isInstanceOf(IOException.class);
            // and a read after the removal fails at once
            assertThatThrownBy(() -> SimMount.readAt(ch, 5L * PIECE, 4096)).isInstanceOf(IOException.class);
        }
        finally
        {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(fx.sim.torrent(show.infoHash())).isEmpty();
        assertThat(Files.exists(fx.mnt.resolve("show"))).isFalse();
        assertThat(SimMount.await(Duration.ofSeconds(10), () -> fx.engine().pipeline().slots().inUse() == 0)).isTrue();
    }

    @Test
    void rmdirOfASubdirectoryAndUnlinkInsideATorrentAnswerErofsAndForgetNothing() throws Exception
    {
        mount(c -> { });
        assertErofs("rmdir subdirectory", () -> Files.delete(fx.mnt.resolve("show/sub")));
        assertErofs("unlink file in torrent", () -> Files.delete(fx.mnt.resolve("show/video.bin")));
        assertErofs("unlink nested file", () -> Files.delete(fx.mnt.resolve("show/sub/notes.txt")));
        assertErofs("create in root", () -> Files.createFile(fx.mnt.resolve("new.txt")));
        assertErofs("mkdir in root", () -> Files.createDirectory(fx.mnt.resolve("newdir")));
        assertErofs("write", () -> Files.writeString(fx.mnt.resolve("solo.iso"), "x"));
        assertThat(fx.sim.torrent(show.infoHash())).isPresent();
        assertThat(Files.isRegularFile(fx.mnt.resolve("show/sub/notes.txt"))).isTrue();
        assertThat(fx.engine().catalog().removalCount()).isZero();
    }

    @Test
    void unlinkOfASingleFileTorrentForgetsIt() throws Exception
    {
        mount(c -> { });
        Files.delete(fx.mnt.resolve("solo.iso"));
        assertThat(fx.sim.torrent(solo.infoHash())).isEmpty();
        assertThat(Files.exists(fx.mnt.resolve("solo.iso"))).isFalse();
        assertThat(rootNames()).containsExactly("show");
        assertThat(fx.sim.torrent(show.infoHash())).isPresent();
    }

    @Test
    void withRemovalDisabledRmdirAndUnlinkOfTorrentsAnswerErofsAndRqbitKeepsThem() throws Exception
    {
        mount(c -> c.allowRemove(false));
        assertErofs("rmdir torrent", () -> Files.delete(fx.mnt.resolve("show")));
        assertErofs("unlink single-file torrent", () -> Files.delete(fx.mnt.resolve("solo.iso")));
        assertThat(fx.sim.torrent(show.infoHash())).isPresent();
        assertThat(fx.sim.torrent(solo.infoHash())).isPresent();
        assertThat(rootNames()).containsExactlyInAnyOrder("show", "solo.iso");
        assertThat(Files.getFileStore(fx.mnt).isReadOnly()).isTrue();
    }

    @FunctionalInterface
    interface ThrowingRunnable
    {
        void run() throws Exception;
    }
}
