package io.fuseengine.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class CommandLineTest
{
    private String runCapturingOut(final int expectedExit, final String... args)
    {
        final PrintStream oldOut = System.out;
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try
        {
            assertThat(Main.run(args)).isEqualTo(expectedExit);
        }
        finally
        {
            System.setOut(oldOut);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void shouldDescribeEveryCommandInHelp()
    {
        final String help = runCapturingOut(0, "--help");
        assertThat(help).contains("mount", "demo", "sim", "config", "Usage: fuse-engine");
        assertThat(runCapturingOut(0, "mount", "--help")).contains("--read-timeout", "--rqbit-url", "--allow-other", "MOUNTPOINT");
    }

    @Test
    void shouldPrintVersion()
    {
        assertThat(runCapturingOut(0, "--version")).startsWith("fuse-engine ");
    }

    @Test
    void shouldPrintEffectiveConfigWithFlagsWinning(@TempDir final Path dir) throws Exception
    {
        final Path file = dir.resolve("f.conf");
        Files.writeString(file, "read-timeout=12s\nmax-connections=2\n");
        final String out = runCapturingOut(0, "config", "--print", "--config", file.toString(), "--max-connections", "3");
        assertThat(out).contains("read-timeout=12s", "max-connections=3", "rqbit-url=http://127.0.0.1:3030");
    }

    @Test
    void shouldExitTwoOnBadUrl(@TempDir final Path dir)
    {
        assertThat(Main.run("mount", dir.toString(), "--rqbit-url", "ftp://nowhere")).isEqualTo(2);
    }

    @Test
    void shouldExitTwoOnNegativeTimeout(@TempDir final Path dir)
    {
        assertThat(Main.run("mount", dir.toString(), "--read-timeout", "-3s")).isEqualTo(2);
    }

    @Test
    void shouldExitTwoOnUnreadableConfigFile(@TempDir final Path dir)
    {
        assertThat(Main.run("config", "--config", dir.resolve("absent.conf").toString())).isEqualTo(2);
    }

    @Test
    void shouldExitTwoOnUnknownFlag()
    {
        assertThat(Main.run("mount", "--frobnicate")).isEqualTo(2);
    }

    @Test
    void shouldRefuseNonEmptyMountpointWithExitTwo(@TempDir final Path dir) throws Exception
    {
        Files.writeString(dir.resolve("precious.txt"), "keep me");
        assertThat(Main.run("mount", dir.toString(), "--rqbit-url", "http://127.0.0.1:9", "--metadata-timeout", "200ms"))
            .isEqualTo(2);
        assertThat(Files.readString(dir.resolve("precious.txt"))).isEqualTo("keep me");
    }
}
