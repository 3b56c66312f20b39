package io.fuseengine.app.lifecycle;

import io.fuseengine.app.Main;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bad configuration and unusable mountpoints: {@code mount} exits 2 with one clear line naming the problem (no
 * stack trace, no password), and nothing is mounted or changed. Extends app's CommandLineTest, which checks only
 * the exit codes of some of these.
 */
class ConfigAndMountpointErrorTest
{
    @TempDir
    Path tmp;

    private PrintStream originalErr;
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private Path mnt;

    @BeforeEach
    void captureErr() throws IOException
    {
        originalErr = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        mnt = Files.createDirectory(tmp.resolve("mnt"));
    }

    @AfterEach
    void restoreErr()
    {
        System.setErr(originalErr);
    }

    private String run(final String... args)
    {
        err.reset();
        final int code = Main.run(args);
        final String out = err.toString(StandardCharsets.UTF_8);
        originalErr.println("fuse-engine " + String.join(" ", args) + " -> " + code + ": " + out.strip());
        assertThat(code).as("exit code; stderr: %s", out).isEqualTo(2);
        assertThat(out).as("no stack trace").doesNotContain("\tat ");
        return out;
    }

    private void assertNothingMounted() throws IOException
    {
        assertThat(CliProcess.isMounted(mnt)).isFalse();
        try (Stream<Path> s = Files.list(mnt))
        {
            assertThat(s.count()).isZero();
        }
    }

    @Test
    void badConfigurationExitsTwoWithAMessageNamingTheSetting() throws Exception
    {
        final String m = mnt.toString();
        assertThat(run("mount", m, "--rqbit-url", "ftp://nowhere")).contains("configuration error", "rqbit-url", "http://");
        assertThat(run("mount", m, "--rqbit-url", "not a url")).contains("configuration error", "rqbit-url");
        assertThat(run("mount", m, "--read-timeout", "-3s")).contains("read-timeout must be positive");
        assertThat(run("mount", m, "--read-timeout", "0")).contains("read-timeout must be positive");
        assertThat(run("mount", m, "--metadata-timeout", "soon")).contains("metadata-timeout", "is not a duration");
        assertThat(run("mount", m, "--max-connections", "0")).contains("max-connections");
        assertThat(run("mount", m, "--rqbit-user", "alice")).contains("rqbit-user and rqbit-password go together");
        assertThat(run("mount", m, "--rqbit-user", "alice", "--rqbit-password-env", "FE_TEST_SURELY_UNSET_VAR"))
            .contains("FE_TEST_SURELY_UNSET_VAR is not set");
        final String withCredentials = run("mount", m, "--rqbit-url", "http://alice:hunter2-secret@127.0.0.1:3030");
        assertThat(withCredentials).contains("rqbit-url", "credentials").doesNotContain("hunter2-secret");
        assertNothingMounted();
    }

    @Test
    void unreadableOrInvalidConfigFileExitsTwoNamingTheFile() throws Exception
    {
        final String m = mnt.toString();
        final Path dirAsFile = Files.createDirectory(tmp.resolve("conf.d"));
        assertThat(run("mount", m, "--config", dirAsFile.toString())).contains("cannot read config file", dirAsFile.toString());
        final Path missing = tmp.resolve("absent.conf");
        assertThat(run("mount", m, "--config", missing.toString())).contains("cannot read config file", missing.toString());
        final Path badValue = Files.writeString(tmp.resolve("bad.conf"), "read-timeout=banana\n");
        assertThat(run("mount", m, "--config", badValue.toString())).contains(badValue.toString(), "read-timeout", "banana");
        final Path unknownKey = Files.writeString(tmp.resolve("unknown.conf"), "frobnicate=1\n");
        assertThat(run("mount", m, "--config", unknownKey.toString())).contains("unknown setting 'frobnicate'");
        final Path password = Files.writeString(tmp.resolve("pw.conf"), "rqbit-url=http://bob:s3cr3t-in-file@127.0.0.1:1\n");
        assertThat(run("mount", m, "--config", password.toString())).doesNotContain("s3cr3t-in-file");
        assertNothingMounted();
    }

    @Test
    void unusableMountpointExitsTwoAndChangesNothing() throws Exception
    {
        final String[] quick = {"--rqbit-url", "http://127.0.0.1:9", "--metadata-timeout", "200ms", "--cache-size", "1MiB",
            "--cache-chunk-size", "64KiB", "--read-ahead-max", "0"};
        final Path absent = tmp.resolve("absent");
        assertThat(run(concat(new String[] {"mount", absent.toString()}, quick))).contains("does not exist");
        assertThat(Files.exists(absent)).isFalse();

        final Path file = Files.writeString(tmp.resolve("a-file"), "data");
        assertThat(run(concat(new String[] {"mount", file.toString()}, quick))).contains("not a directory");
        assertThat(Files.readString(file)).isEqualTo("data");

        final Path full = Files.createDirectory(tmp.resolve("full"));
        Files.writeString(full.resolve("precious.txt"), "keep me");
        assertThat(run(concat(new String[] {"mount", full.toString()}, quick))).contains("is not empty");
        assertThat(Files.readString(full.resolve("precious.txt"))).isEqualTo("keep me");
        assertThat(CliProcess.isMounted(full)).isFalse();
    }

    private static String[] concat(final String[] a, final String[] b)
    {
        final String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
