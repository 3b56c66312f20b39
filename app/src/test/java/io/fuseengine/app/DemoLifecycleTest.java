package io.fuseengine.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Runs {@code fuse-engine demo} as a child process, as a user would, and stops it with SIGTERM. */
class DemoLifecycleTest
{
    @Test
    void shouldServeDemoAndUnmountWithExitZeroOnSigterm(@TempDir final Path dir) throws Exception
    {
        final Path mnt = Files.createDirectory(dir.resolve("mnt"));
        final List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (final String arg : ManagementFactory.getRuntimeMXBean().getInputArguments())
        {
            if (arg.startsWith("--add-") || arg.startsWith("--enable-native") || arg.startsWith("--sun-misc"))
            {
                cmd.add(arg);
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.add("demo");
        cmd.add(mnt.toString());
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
