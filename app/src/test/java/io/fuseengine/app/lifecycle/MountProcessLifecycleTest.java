package io.fuseengine.app.lifecycle;

import io.fuseengine.sim.FaultInjector.Fault;
import io.fuseengine.sim.FaultInjector.Target;
import io.fuseengine.sim.FaultRule;
import io.fuseengine.sim.RqbitSim;
import io.fuseengine.sim.RqbitVersion;
import io.fuseengine.sim.SimConfig;
import io.fuseengine.sim.SimFile;
import io.fuseengine.sim.SimTorrent;
import io.fuseengine.sim.TorrentSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code fuse-engine mount} as a child process against an rqbit-sim in the test JVM: SIGTERM with a read in
 * flight exits 0 and removes the mount without waiting for the read's deadline; {@code fusermount -u} from outside
 * ends the process with exit 0; SIGKILL leaves a stale mount that
 * the next {@code mount} on the same directory detects, clears and replaces; a second mount over a live one is
 * refused with exit 2 and leaves the first one serving.
 */
@Timeout(180)
class MountProcessLifecycleTest
{
    private static final String[] SMALL_CACHE = {"--cache-size", "8MiB", "--cache-chunk-size", "64KiB", "--read-ahead-max", "0"};

    @TempDir
    Path tmp;

    private RqbitSim sim;
    private SimTorrent show;
    private Path mnt;

    @BeforeEach
    void setUp() throws IOException
    {
        sim = RqbitSim.start(SimConfig.builder().version(RqbitVersion.V9).downloadRateBytesPerSecond(0).port(0).build());
        show = sim.addTorrent(TorrentSpec.builder("show").file(8L * 1024 * 1024 + 5, "video.bin").file(10, "x.nfo").build());
        mnt = Files.createDirectory(tmp.resolve("mnt"));
    }

    @AfterEach
    void tearDown()
    {
        try
        {
            if (CliProcess.isMounted(mnt))
            {
                CliProcess.lazyUnmount(mnt);
            }
        }
        finally
        {
            sim.close();
        }
    }

    private CliProcess mount(final String logName, final String... extra) throws IOException
    {
        return mount(logName, true, extra);
    }

    /** @param ownsMount false for a process expected to fail: closing it must not unmount someone else's mount. */
    private CliProcess mount(final String logName, final boolean ownsMount, final String... extra) throws IOException
    {
        final String[] base = {"mount", mnt.toString(), "--rqbit-url", sim.baseUrl(), "--metadata-timeout", "2s"};
        final String[] args = Arrays.copyOf(base, base.length + SMALL_CACHE.length + extra.length);
        System.arraycopy(SMALL_CACHE, 0, args, base.length, SMALL_CACHE.length);
        System.arraycopy(extra, 0, args, base.length + SMALL_CACHE.length, extra.length);
        return CliProcess.start(tmp, logName, ownsMount ? mnt : null, args);
    }

    /** The CLI prints "fuse-engine: mounted" once the mount is live (the kernel may serve a little earlier). */
    private static boolean mountedLine(final CliProcess cli)
    {
        return cli.log().contains("fuse-engine: mounted ");
    }

    private void assertServes(final long pos, final int len) throws IOException
    {
        final SimFile f = show.files().get(0);
        final byte[] want = new byte[len];
        f.read(pos, want, 0, len);
        final ByteBuffer buf = ByteBuffer.allocate(len);
        try (FileChannel ch = FileChannel.open(mnt.resolve("show/video.bin"), StandardOpenOption.READ))
        {
            while (buf.hasRemaining() && ch.read(buf, pos + buf.position()) > 0)
            {
                // keep reading
            }
        }
        assertThat(Arrays.equals(Arrays.copyOf(buf.array(), buf.position()), want)).as("bytes at %d", pos).isTrue();
    }

    @Test
    void sigtermWithAReadInFlightExitsZeroAndRemovesTheMountWithoutWaitingForTheDeadline() throws Exception
    {
        try (CliProcess cli = mount("sigterm.log", "--read-timeout", "60s"))
        {
            assertThat(cli.awaitWhileAlive(60, () -> mountedLine(cli) && Files.exists(mnt.resolve("show/video.bin")))).as("mounted; log: %s", cli.log()).isTrue();
            final FaultRule rule = sim.faults().inject(Fault.STALL_AFTER_HEADERS, Target.STREAMS, show.infoHash(), -1);
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final CountDownLatch done = new CountDownLatch(1);
            final Thread reader = new Thread(() ->
            {
                try (FileChannel ch = FileChannel.open(mnt.resolve("show/video.bin"), StandardOpenOption.READ))
                {
                    ch.read(ByteBuffer.allocate(65536), 4L * 1024 * 1024);
                }
                catch (final Throwable t)
                {
                    failure.set(t);
                }
                finally
                {
                    done.countDown();
                }
            }, "in-flight-reader");
            reader.setDaemon(true);
            reader.start();
            assertThat(cli.awaitWhileAlive(10, () -> rule.hits() > 0)).as("read reached rqbit").isTrue();
            assertThat(done.getCount()).as("read in flight").isEqualTo(1);

            final long t0 = System.nanoTime();
            cli.process.destroy(); // SIGTERM
            assertThat(cli.process.waitFor(30, TimeUnit.SECONDS)).as("exited; log: %s", cli.log()).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("shutdown did not wait for the 60 s read deadline")
                .isLessThan(Duration.ofSeconds(30));
            assertThat(cli.process.exitValue()).as("exit code; log: %s", cli.log()).isZero();
            assertThat(CliProcess.isMounted(mnt)).as("mount removed").isFalse();
            assertThat(done.await(10, TimeUnit.SECONDS)).as("the in-flight reader was released").isTrue();
            assertThat(failure.get()).isInstanceOf(IOException.class);
            try (Stream<Path> s = Files.list(mnt))
            {
                assertThat(s.count()).as("mountpoint empty again").isZero();
            }
        }
    }

    @Test
    void unmountFromOutsideEndsTheProcessWithExitZero() throws Exception
    {
        try (CliProcess cli = mount("fusermount.log"))
        {
            assertThat(cli.awaitWhileAlive(60, () -> mountedLine(cli) && Files.exists(mnt.resolve("show/video.bin")))).as("mounted; log: %s", cli.log()).isTrue();
            assertServes(1L << 20, 4096);

            final Process fusermount = new ProcessBuilder("fusermount", "-u", mnt.toString()).redirectErrorStream(true).start();
            assertThat(fusermount.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(fusermount.exitValue()).as("fusermount -u: %s", new String(fusermount.getInputStream().readAllBytes())).isZero();

            assertThat(cli.process.waitFor(30, TimeUnit.SECONDS)).as("exited after the unmount; log: %s", cli.log()).isTrue();
            assertThat(cli.process.exitValue()).as("exit code; log: %s", cli.log()).isZero();
            assertThat(cli.log()).contains("was unmounted from outside");
            assertThat(CliProcess.isMounted(mnt)).isFalse();
        }
    }

    @Test
    void sigkillLeavesAStaleMountThatTheNextMountClearsAndReplaces() throws Exception
    {
        final CliProcess crashed = mount("crashed.log");
        try
        {
            assertThat(crashed.awaitWhileAlive(60, () -> mountedLine(crashed) && Files.exists(mnt.resolve("show/video.bin")))).as("mounted; log: %s", crashed.log()).isTrue();
            crashed.process.destroyForcibly();
            assertThat(crashed.process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        }
        catch (final Throwable t)
        {
            crashed.close();
            throw t;
        }
        assertThat(CliProcess.isMounted(mnt)).as("a killed engine leaves its mount behind").isTrue();
        assertThatThrownBy(() -> Files.list(mnt).close()).hasMessageContaining("Transport endpoint is not connected");

        try (CliProcess second = mount("second.log"))
        {
            assertThat(second.awaitWhileAlive(60, () -> mountedLine(second) && Files.exists(mnt.resolve("show/video.bin")))).as("remounted; log: %s", second.log()).isTrue();
            assertThat(second.log()).contains("stale mount at " + mnt);
            assertServes(3L * 1024 * 1024 + 7, 100_000);
            second.process.destroy();
            assertThat(second.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(second.process.exitValue()).as("log: %s", second.log()).isZero();
            assertThat(CliProcess.isMounted(mnt)).isFalse();
        }
    }

    @Test
    void mountingOverALiveMountIsRefusedWithExitTwoAndTheFirstKeepsServing() throws Exception
    {
        try (CliProcess first = mount("first.log"))
        {
            assertThat(first.awaitWhileAlive(60, () -> mountedLine(first) && Files.exists(mnt.resolve("show/video.bin")))).as("mounted; log: %s", first.log()).isTrue();
            try (CliProcess second = mount("second.log", false))
            {
                assertThat(second.process.waitFor(40, TimeUnit.SECONDS)).as("second mount gave up; log: %s", second.log()).isTrue();
                assertThat(second.process.exitValue()).as("log: %s", second.log()).isEqualTo(2);
                assertThat(second.log()).contains("already a live mount").doesNotContain("\tat ");
            }
            assertThat(first.process.isAlive()).isTrue();
            try (Stream<Path> s = Files.list(mnt))
            {
                assertThat(s.map(p -> p.getFileName().toString()).toList()).as("first mount still lists; log: %s", first.log())
                    .containsExactly("show");
            }
            assertServes(1024L * 1024, 200_000);
            first.process.destroy();
            assertThat(first.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(first.process.exitValue()).as("log: %s", first.log()).isZero();
        }
    }
}
