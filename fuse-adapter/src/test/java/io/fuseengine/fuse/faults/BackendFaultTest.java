package io.fuseengine.fuse.faults;

import io.fuseengine.sim.FaultInjector.Fault;
import io.fuseengine.sim.FaultInjector.Target;
import io.fuseengine.sim.FaultRule;
import io.fuseengine.sim.RqbitSim;
import io.fuseengine.sim.SimFile;
import io.fuseengine.sim.SimTorrent;
import io.fuseengine.sim.TorrentSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Faults of the daemon as a whole, through a real mount: a forgotten torrent (404), a torrent whose file shrank
 * behind the engine's back (416), broken metadata documents, rqbit gone for a few seconds and back with new ids,
 * and rqbit down when the mount starts. In each case the caller gets a prompt, documented error, the mount keeps
 * its last known tree, and the engine recovers on its own.
 */
@Timeout(90)
class BackendFaultTest
{
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(2);
    private static final long VIDEO = 6L * 1024 * 1024 + 3;
    private static final String HASH = "0123456789abcdef0123456789abcdef01234567";

    @TempDir
    Path tmp;

    private FaultMount fx;

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
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Lists the root and stats everything in it; returns how long that took. */
    private Duration timeMetadata() throws IOException
    {
        final long t0 = System.nanoTime();
        try (Stream<Path> s = Files.walk(fx.mnt))
        {
            for (final Path p : s.toList())
            {
                Files.readAttributes(p, BasicFileAttributes.class);
            }
        }
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    /** Reads on a fresh handle and returns the failure, checking it came within read-timeout + 1 s. */
    private static IOException failedRead(final Path file, final long pos, final int len)
    {
        final long t0 = System.nanoTime();
        final Throwable t = org.assertj.core.api.Assertions.catchThrowable(() ->
        {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ))
            {
                FaultMount.readAt(ch, pos, len);
            }
        });
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("time to fail").isLessThan(READ_TIMEOUT.plusSeconds(1));
        assertThat(t).as("read of %s at %d failed", file, pos).isInstanceOf(IOException.class);
        return (IOException)t;
    }

    @Test
    void forgottenTorrentAnswersEnoentPromptlyWhileOtherTorrentsKeepReading() throws Exception
    {
        final RqbitSim sim = FaultMount.startSim();
        final SimTorrent show = sim.addTorrent(TorrentSpec.builder("show").file(VIDEO, "video.bin").file(10, "x.nfo").build());
        final SimTorrent stays = sim.addTorrent(TorrentSpec.singleFile("stays.bin", 300_000));
        fx = FaultMount.start(sim, tmp, c -> c.readTimeout(READ_TIMEOUT));
        final Path video = fx.mnt.resolve("show/video.bin");
        FaultMount.assertContent(video, show.files().get(0), 0, 10_000);

        assertThat(sim.forget(show.infoHash())).isTrue();
        // the tree is not refreshed yet: the file is still listed, but rqbit answers 404
        assertThat(failedRead(video, 3L * 1024 * 1024, 50_000)).hasMessageContaining("No such file or directory");
        assertThat(timeMetadata()).isLessThan(Duration.ofSeconds(1));
        FaultMount.assertContent(fx.mnt.resolve("stays.bin"), stays.files().get(0), 1000, 200_000);
        fx.assertNoSlotLeaked();

        assertThat(fx.engine().refreshNow()).isTrue();
        assertThat(rootNames()).containsExactly("stays.bin");
    }

    @Test
    void fileShorterAtTheBackendThanInTheTreeAnswersEinvalAndNeverReadsPastTheNewEnd() throws Exception
    {
        final RqbitSim sim = FaultMount.startSim();
        final long oldLength = 4L * 1024 * 1024;
        final long newLength = 1024L * 1024 + 100;
        final SimTorrent before = sim.addTorrent(TorrentSpec.builder("shrinks").infoHash(HASH).file(oldLength, "data.bin").file(10, "x.nfo").build());
        fx = FaultMount.start(sim, tmp, c -> c.readTimeout(READ_TIMEOUT));
        final Path data = fx.mnt.resolve("shrinks/data.bin");
        FaultMount.assertContent(data, before.files().get(0), 0, 4096);

        // same info hash, served again with a shorter file: the engine's (immutable) details say 4 MiB, rqbit 1 MiB
        assertThat(sim.forget(HASH)).isTrue();
        final SimTorrent after = sim.addTorrent(TorrentSpec.builder("shrinks").infoHash(HASH).file(newLength, "data.bin").file(10, "x.nfo").build());
        assertThat(Files.size(data)).isEqualTo(oldLength);

        // a range entirely past rqbit's end of file: rqbit answers 416
        assertThat(failedRead(data, 2L * 1024 * 1024, 10_000)).hasMessageContaining("Invalid argument");
        // below the new end the bytes are still exactly rqbit's
        FaultMount.assertContent(data, after.files().get(0), 512L * 1024, 64 * 1024);
        fx.assertNoSlotLeaked();
    }

    @ParameterizedTest
    @EnumSource(value = Fault.class, names = {"MALFORMED_JSON", "TRUNCATED_JSON", "STATUS_500", "STALL_BEFORE_HEADERS"})
    void brokenMetadataKeepsTheLastKnownTreeAndTheNextGoodRefreshCatchesUp(final Fault fault) throws Exception
    {
        final RqbitSim sim = FaultMount.startSim();
        final SimTorrent show = sim.addTorrent(TorrentSpec.builder("show").file(VIDEO, "video.bin").file(77, "x.nfo").build());
        fx = FaultMount.start(sim, tmp, c -> c.readTimeout(READ_TIMEOUT).metadataTimeout(Duration.ofMillis(500)));
        assertThat(rootNames()).containsExactly("show");

        final FaultRule rule = sim.faults().inject(fault, Target.METADATA, null, -1);
        final SimTorrent late = sim.addTorrent(TorrentSpec.singleFile("late.iso", 70_000));
        assertThat(fx.engine().refreshNow()).as("refresh against broken metadata").isFalse();
        assertThat(rule.hits()).isPositive();

        assertThat(rootNames()).as("last known tree kept").containsExactly("show");
        assertThat(timeMetadata()).isLessThan(Duration.ofSeconds(1));
        assertThat(Files.size(fx.mnt.resolve("show/x.nfo"))).isEqualTo(77);
        FaultMount.assertContent(fx.mnt.resolve("show/video.bin"), show.files().get(0), 2L * 1024 * 1024, 100_000);

        sim.faults().clear();
        assertThat(fx.engine().refreshNow()).isTrue();
        assertThat(rootNames()).containsExactly("late.iso", "show");
        FaultMount.assertContent(fx.mnt.resolve("late.iso"), late.files().get(0), 0, 70_000);
        fx.assertNoSlotLeaked();
    }

    @Test
    void rqbitGoneForAFewSecondsFailsReadsFastAndTheEngineRecoversByItselfAfterARenumberingRestart() throws Exception
    {
        final RqbitSim sim = FaultMount.startSim();
        final SimTorrent show = sim.addTorrent(TorrentSpec.builder("show").file(VIDEO, "video.bin").file(10, "x.nfo").build());
        final SimTorrent other = sim.addTorrent(TorrentSpec.singleFile("other.bin", 500_000));
        fx = FaultMount.start(sim, tmp, c -> c.readTimeout(READ_TIMEOUT).refreshInterval(Duration.ofMillis(300))
            .metadataTimeout(Duration.ofMillis(500)));
        final Path video = fx.mnt.resolve("show/video.bin");
        final SimFile file = show.files().get(0);
        FaultMount.assertContent(video, file, 0, 100_000);
        final int baselineThreads = FaultMount.liveThreads();
        final long idBefore = show.id();

        try (FileChannel held = FileChannel.open(video, StandardOpenOption.READ))
        {
            sim.stop();
            assertThat(failedRead(video, 3L * 1024 * 1024, 64 * 1024)).hasMessageContaining("Input/output error");
            assertThat(timeMetadata()).as("ls/stat while rqbit is down").isLessThan(Duration.ofSeconds(1));
            assertThat(rootNames()).containsExactly("other.bin", "show");
            // let the refresher fail a few times against the dead port
            final long failures = fx.engine().catalog().failureCount();
            assertThat(FaultMount.await(Duration.ofSeconds(5), () -> fx.engine().catalog().failureCount() >= failures + 3)).isTrue();
            assertThat(rootNames()).as("last known tree while down").containsExactly("other.bin", "show");

            sim.restart();
            assertThat(sim.torrent(show.infoHash()).orElseThrow().id()).isNotEqualTo(idBefore);
            // no refreshNow: the engine finds its way back by itself
            assertThat(FaultMount.await(Duration.ofSeconds(10), () -> fx.engine().catalog().backendReachable())).isTrue();
            // the handle opened before the outage reads on, bytes exact
            final byte[] want = new byte[200_000];
            file.read(4L * 1024 * 1024, want, 0, want.length);
            assertThat(FaultMount.readAt(held, 4L * 1024 * 1024, want.length)).isEqualTo(want);
        }
        // the range that failed during the outage now reads the generator's bytes
        FaultMount.assertContent(video, file, 3L * 1024 * 1024, 64 * 1024);
        FaultMount.assertContent(fx.mnt.resolve("other.bin"), other.files().get(0), 0, 500_000);
        fx.assertNoSlotLeaked();
        FaultMount.assertThreadsBounded(baselineThreads, 12);
    }

    @Test
    void rqbitDownAtMountTimeGivesAFastEmptyRootThatFillsInByItself() throws Exception
    {
        final RqbitSim sim = FaultMount.startSim();
        final SimTorrent solo = sim.addTorrent(TorrentSpec.singleFile("solo.iso", 2L * 1024 * 1024 + 1));
        sim.stop();
        fx = FaultMount.start(sim, tmp, c -> c.readTimeout(READ_TIMEOUT).refreshInterval(Duration.ofMillis(300))
            .metadataTimeout(Duration.ofMillis(500)));
        assertThat(timeMetadata()).isLessThan(Duration.ofSeconds(1));
        assertThat(rootNames()).isEmpty();
        assertThatThrownBy(() -> Files.size(fx.mnt.resolve("solo.iso"))).hasMessageContaining("solo.iso");

        sim.restart();
        assertThat(FaultMount.await(Duration.ofSeconds(10), () -> Files.exists(fx.mnt.resolve("solo.iso")))).isTrue();
        FaultMount.assertContent(fx.mnt.resolve("solo.iso"), solo.files().get(0), 2L * 1024 * 1024 - 1000, 1001);
        fx.assertNoSlotLeaked();
    }
}
