package io.fuseengine.app.ops;

import io.fuseengine.app.Main;
import io.fuseengine.sim.RqbitSim;
import io.fuseengine.sim.RqbitVersion;
import io.fuseengine.sim.SimConfig;
import io.fuseengine.sim.SimTorrent;
import io.fuseengine.sim.TorrentSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code add}, {@code rm} and {@code status} against rqbit-sim, in process. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TorrentCommandsTest
{
    @TempDir
    Path dir;

    private RqbitSim sim;
    private Path config;

    @BeforeEach
    void startSim() throws Exception
    {
        sim = RqbitSim.start(SimConfig.builder().version(RqbitVersion.V9).port(0).build());
        config = writeConfig(dir, sim, freePort());
    }

    @AfterEach
    void stopSim()
    {
        sim.close();
    }

    @Test
    void shouldAddMagnetAndPrintIdInfoHashAndName()
    {
        final SimTorrent t = sim.addTorrent(TorrentSpec.singleFile("solo.iso", 70000));

        final Result r = run("add", "magnet:?xt=urn:btih:" + t.infoHash() + "&dn=solo");

        assertThat(r.code).as(r.toString()).isZero();
        assertThat(r.out).contains("id=" + t.id()).contains("info_hash=" + t.infoHash()).contains("name=solo.iso");
    }

    @Test
    void shouldAddTorrentFileAndBareInfoHash() throws Exception
    {
        final byte[] info = ("d6:lengthi5000e4:name9:movie.mkv12:piece lengthi16384e6:pieces20:"
            + "x".repeat(20) + "e").getBytes(StandardCharsets.UTF_8);
        final ByteArrayOutputStream torrent = new ByteArrayOutputStream();
        torrent.writeBytes("d4:info".getBytes(StandardCharsets.UTF_8));
        torrent.writeBytes(info);
        torrent.writeBytes("e".getBytes(StandardCharsets.UTF_8));
        final String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(info));
        final SimTorrent t = sim.addTorrent(TorrentSpec.builder("movie.mkv").singleFile(5000).infoHash(hash).build());
        final Path file = Files.write(dir.resolve("movie.torrent"), torrent.toByteArray());

        final Result byFile = run("add", file.toString());
        final Result byHash = run("add", hash.toUpperCase());

        assertThat(byFile.code).as(byFile.toString()).isZero();
        assertThat(byFile.out).contains("info_hash=" + hash).contains("id=" + t.id()).contains("name=movie.mkv");
        assertThat(byHash.code).as(byHash.toString()).isZero();
        assertThat(byHash.out).contains("info_hash=" + hash);
    }

    @Test
    void shouldExitTwoForMissingOrNonTorrentFileWithoutAskingRqbit() throws Exception
    {
        final long before = sim.stats().metadataRequests();
        final Path notTorrent = Files.writeString(dir.resolve("notes.txt"), "hello");

        final Result missing = run("add", dir.resolve("nope.torrent").toString());
        final Result junk = run("add", notTorrent.toString());

        assertThat(missing.code).isEqualTo(Main.EXIT_USAGE);
        assertThat(missing.err).contains("no such file").contains("nope.torrent");
        assertThat(junk.code).isEqualTo(Main.EXIT_USAGE);
        assertThat(junk.err).contains("not a .torrent file");
        assertThat(sim.stats().metadataRequests()).isEqualTo(before);
    }

    @Test
    void shouldExitOneWithRqbitsReasonWhenRqbitRefuses()
    {
        final Result url = run("add", "http://127.0.0.1:1/unknown.torrent");
        final Result magnet = run("add", "magnet:?xt=urn:btih:" + "ab".repeat(20));

        assertThat(url.code).as(url.toString()).isEqualTo(Main.EXIT_FAILURE);
        assertThat(url.err).contains("rqbit did not add").contains("cannot fetch http://127.0.0.1:1/unknown.torrent");
        assertThat(magnet.code).as(magnet.toString()).isEqualTo(Main.EXIT_FAILURE);
        assertThat(magnet.err).contains("cannot resolve magnet");
    }

    @Test
    void shouldExitOneWhenRqbitIsUnreachable() throws Exception
    {
        final Path dead = writeConfigUrl(dir.resolve("dead.conf"), "http://127.0.0.1:" + freePort(), freePort());
        final Result add = runWith(dead, "add", "magnet:?xt=urn:btih:" + "cd".repeat(20));
        final Result status = runWith(dead, "status");

        assertThat(add.code).isEqualTo(Main.EXIT_FAILURE);
        assertThat(status.code).isEqualTo(Main.EXIT_FAILURE);
        assertThat(status.err).contains("cannot reach rqbit");
    }

    @Test
    void shouldForgetByNameByIdAndByInfoHashKeepingOthers()
    {
        final SimTorrent a = sim.addTorrent(TorrentSpec.singleFile("alpha.mkv", 1000));
        final SimTorrent b = sim.addTorrent(TorrentSpec.singleFile("beta.mkv", 1000));
        final SimTorrent c = sim.addTorrent(TorrentSpec.singleFile("gamma.mkv", 1000));
        final SimTorrent d = sim.addTorrent(TorrentSpec.singleFile("delta.mkv", 1000));

        final Result byName = run("rm", "alpha.mkv");
        final Result byId = run("rm", Long.toString(b.id()));
        final Result byHash = run("rm", c.infoHash().toUpperCase());

        assertThat(byName.code).as(byName.toString()).isZero();
        assertThat(byName.out).contains("forgot 'alpha.mkv'").contains(a.infoHash()).contains("files stay on disk");
        assertThat(byId.code).as(byId.toString()).isZero();
        assertThat(byHash.code).as(byHash.toString()).isZero();
        assertThat(sim.torrents()).extracting(SimTorrent::infoHash).containsExactly(d.infoHash());
    }

    @Test
    void shouldRefuseAmbiguousNameWithExitTwoListingCandidates()
    {
        final SimTorrent one = sim.addTorrent(TorrentSpec.builder("Show").file(10, "e1.mkv").build());
        final SimTorrent two = sim.addTorrent(TorrentSpec.builder("Show").file(10, "e2.mkv")
            .infoHash("11".repeat(20)).build());

        final Result r = run("rm", "Show");

        assertThat(r.code).as(r.toString()).isEqualTo(Main.EXIT_USAGE);
        assertThat(r.err).contains("matches 2 torrents").contains(one.infoHash()).contains(two.infoHash())
            .contains("id " + one.id()).contains("id " + two.id());
        assertThat(sim.torrents()).hasSize(2);
    }

    @Test
    void shouldExitOneForUnknownTorrent()
    {
        sim.addTorrent(TorrentSpec.singleFile("alpha.mkv", 1000));

        final Result r = run("rm", "omega.mkv");

        assertThat(r.code).isEqualTo(Main.EXIT_FAILURE);
        assertThat(r.err).contains("no torrent").contains("omega.mkv");
        assertThat(sim.torrents()).hasSize(1);
    }

    @ParameterizedTest
    @EnumSource(RqbitVersion.class)
    void shouldShowEachTorrentWithPercentageAndSayEngineNotRunning(final RqbitVersion version) throws Exception
    {
        try (RqbitSim other = RqbitSim.start(SimConfig.builder().version(version).port(0).build()))
        {
            final Path conf = writeConfig(dir.resolve(version.name()), other, freePort());
            final SimTorrent done = other.addTorrent(TorrentSpec.singleFile("complete.iso", 64 * 1024));
            final SimTorrent half = other.addTorrent(TorrentSpec.builder("Half Done").pieceLength(16384)
                .file(4 * 16384, "video.mkv").build());
            half.markAllPiecesMissing();
            half.markPiecePresent(0);
            half.markPiecePresent(1);
            other.torrent(done.infoHash()).orElseThrow().markAllPiecesPresent();

            final Result r = runWith(conf, "status");

            assertThat(r.code).as(r.toString()).isZero();
            assertThat(r.out).contains("2 torrents");
            assertThat(line(r.out, "complete.iso")).contains("100.0%").contains("[####################]");
            assertThat(line(r.out, "Half Done")).contains("50.0%").contains("[##########----------]");
            assertThat(r.out).contains("engine not running");
        }
    }

    private static String line(final String text, final String containing)
    {
        return text.lines().filter(l -> l.contains(containing)).findFirst().orElse("(no line with " + containing + ")");
    }

    private Result run(final String... args)
    {
        return runWith(config, args);
    }

    static Result runWith(final Path config, final String... args)
    {
        final List<String> all = new ArrayList<>(List.of(args));
        all.add("--config");
        all.add(config.toString());
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), all.toArray(new String[0]));
        return new Result(code, out.toString(), err.toString());
    }

    static Path writeConfig(final Path dir, final RqbitSim sim, final int metricsPort) throws Exception
    {
        Files.createDirectories(dir);
        return writeConfigUrl(dir.resolve("fuse-engine.conf"), sim.baseUrl(), metricsPort);
    }

    static Path writeConfigUrl(final Path file, final String url, final int metricsPort) throws Exception
    {
        return Files.writeString(file, "rqbit-url=" + url + "\nmetadata-timeout=5s\nmetrics-addr=127.0.0.1:"
            + metricsPort + "\n");
    }

    static int freePort() throws Exception
    {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()))
        {
            return s.getLocalPort();
        }
    }

    record Result(int code, String out, String err)
    {
    }
}
