package io.fuseengine.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.fuseengine.sim.RqbitSim;
import io.fuseengine.sim.SampleLibrary;
import io.fuseengine.sim.SimConfig;
import io.fuseengine.sim.SimFile;

import java.io.File;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Runs {@code fuse-engine demo} as a child process, as a user would, and stops it with SIGTERM. */
class DemoLifecycleTest
{
    @Test
    void shouldServeDemoAndUnmountWithExitZeroOnSigterm(@TempDir final Path dir) throws Exception
    {
        runDemoAndCheck(Path.of(System.getProperty("java.home"), "bin", "java"), dir);
    }

    /**
     * The shaded jar's manifest gives Java 25 the same Add-Exports/Add-Opens and Enable-Native-Access, but not
     * {@code --sun-misc-unsafe-memory-access=allow}: on 24+ Netty then runs without Unsafe, and the transport must
     * still deliver bytes (it copies through Agrona, not Netty's PlatformDependent).
     */
    @Test
    void shouldServeCorrectBytesOnJava25WithoutUnsafeFlags(@TempDir final Path dir) throws Exception
    {
        final Path java25 = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64/bin/java");
        assumeTrue(Files.isExecutable(java25), "Temurin 25 not installed at " + java25);
        runDemoAndCheck(java25, dir, "--enable-native-access=ALL-UNNAMED");
    }

    private static void runDemoAndCheck(final Path java, final Path dir, final String... extraJvmArgs) throws Exception
    {
        final Path mnt = Files.createDirectory(dir.resolve("mnt"));
        final List<String> cmd = new ArrayList<>();
        cmd.add(java.toString());
        for (final String arg : ManagementFactory.getRuntimeMXBean().getInputArguments())
        {
            if (arg.startsWith("--add-"))
            {
                cmd.add(arg);
            }
        }
        cmd.addAll(List.of(extraJvmArgs));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.add("demo");
        cmd.add(mnt.toString());
        cmd.add("--metrics-addr");
        cmd.add("off");
        final Process process = new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("demo.log").toFile())
            .start();
        try
        {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!Files.exists(mnt.resolve("solo.iso")) && System.nanoTime() < deadline && process.isAlive())
            {
                Thread.sleep(100); // polling a mount from outside: no latch to wait on
            }
            assertThat(mnt.resolve("solo.iso")).as("demo mounted; log: %s", log(dir)).exists();
            assertThat(Files.size(mnt.resolve("solo.iso"))).isEqualTo(8L * 1024 * 1024 + 17);
            assertThat(sha256(Files.readAllBytes(mnt.resolve("solo.iso"))))
                .as("bytes through the mount; log: %s", log(dir)).isEqualTo(expectedSoloSha256());
            try (Stream<Path> s = Files.list(mnt))
            {
                assertThat(s.count()).isGreaterThanOrEqualTo(4);
            }

            process.destroy(); // SIGTERM
            assertThat(process.waitFor(20, TimeUnit.SECONDS)).as("exited; log: %s", log(dir)).isTrue();
            assertThat(process.exitValue()).as("exit code; log: %s", log(dir)).isZero();
            assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(mnt.toString());
            try (Stream<Path> s = Files.list(mnt))
            {
                assertThat(s.count()).as("mountpoint empty again").isZero();
            }
        }
        finally
        {
            if (process.isAlive())
            {
                process.destroyForcibly();
                new ProcessBuilder("fusermount", "-u", "-z", mnt.toString()).start().waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    private static String expectedSoloSha256() throws Exception
    {
        try (RqbitSim sim = RqbitSim.start(SimConfig.builder().build()))
        {
            SampleLibrary.install(sim, false);
            final SimFile solo = sim.torrents().stream()
                .filter(t -> t.name().equals(SampleLibrary.SOLO)).findFirst().orElseThrow().files().get(0);
            final byte[] bytes = new byte[(int)solo.length()];
            solo.read(0, bytes, 0, bytes.length);
            return sha256(bytes);
        }
    }

    private static String sha256(final byte[] bytes) throws Exception
    {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private static String log(final Path dir)
    {
        try
        {
            final File f = dir.resolve("demo.log").toFile();
            return f.exists() ? Files.readString(f.toPath()) : "(none)";
        }
        catch (final Exception ex)
        {
            return ex.toString();
        }
    }
}
