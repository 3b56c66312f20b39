package io.fuseengine.app.ops;

import io.fuseengine.app.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs {@code fuse-engine demo} in a child JVM with a metrics port, reads through the mount, and checks what
 * {@code /metrics} and {@code status} show.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MetricsEndpointDemoTest
{
    @Test
    void shouldServeEngineMetricsAfterReadsAndShowThemInStatus(@TempDir final Path dir) throws Exception
    {
        final Path mnt = Files.createDirectory(dir.resolve("mnt"));
        final int simPort = TorrentCommandsTest.freePort();
        final int metricsPort = TorrentCommandsTest.freePort();
        final List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (final String arg : ManagementFactory.getRuntimeMXBean().getInputArguments())
        {
            if (arg.startsWith("--add-") || arg.startsWith("--enable-native") || arg.startsWith("--sun-misc"))
            {
                cmd.add(arg);
            }
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(),
            "demo", mnt.toString(), "--port", Integer.toString(simPort)));
        final ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
            .redirectOutput(dir.resolve("demo.log").toFile());
        pb.environment().put("FUSE_ENGINE_METRICS_ADDR", "127.0.0.1:" + metricsPort);
        pb.environment().put("XDG_CONFIG_HOME", dir.toString());
        final Process process = pb.start();
        try
        {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
            while (!Files.exists(mnt.resolve("solo.iso")) && System.nanoTime() < deadline && process.isAlive())
            {
                Thread.sleep(100); // polling a mount from outside: no latch to wait on
            }
            assertThat(mnt.resolve("solo.iso")).as("demo mounted; log: %s", log(dir)).exists();
            final byte[] buf = new byte[256 * 1024];
            long read = 0;
            try (InputStream in = Files.newInputStream(mnt.resolve("solo.iso")))
            {
                for (int i = 0; i < 8; i++)
                {
                    final int n = in.read(buf);
                    read += Math.max(0, n);
                }
            }
            assertThat(read).isPositive();

            final PrometheusText metrics = fetchWhenUp(metricsPort, dir);
            final List<String> expected = new ArrayList<>(EngineMetrics.NAMES);
            expected.addAll(EngineMetrics.CACHE_NAMES);
            expected.addAll(EngineMetrics.PIECE_NAMES);
            expected.addAll(EngineMetrics.PROCESS_NAMES); // the demo trims the C heap (native-trim-interval default)
            expected.addAll(EngineMetrics.SESSION_NAMES);
            for (final String name : expected)
            {
                assertThat(metrics.has(name) || metrics.has(name + "_count"))
                    .as("metric %s served; log: %s", name, log(dir)).isTrue();
            }
            assertThat(metrics.sum("fuse_engine_reads_total").orElse(0)).isPositive();
            assertThat(metrics.sum("fuse_engine_transport_bytes_total").orElse(0)).isPositive();
            assertThat(metrics.sum("fuse_engine_read_replies_zero_copy_total").orElse(0)
                + metrics.sum("fuse_engine_read_replies_copied_total").orElse(0))
                .as("reads replied by the session loop itself").isPositive();
            // the endpoint (and with it the read observer) starts just after the mount: read a file not read yet
            final Path other;
            try (java.util.stream.Stream<Path> s = Files.walk(mnt))
            {
                other = s.filter(p -> Files.isRegularFile(p) && !p.getFileName().toString().equals("solo.iso"))
                    .filter(p -> { try { return Files.size(p) > 0; } catch (final java.io.IOException e) { return false; } })
                    .findFirst().orElseThrow();
            }
            try (InputStream in = Files.newInputStream(other))
            {
                assertThat(in.read(buf)).isPositive();
            }
            assertThat(fetchWhenUp(metricsPort, dir).sum("fuse_engine_read_latency_seconds_count").orElse(0))
                .as("FUSE reads feed the latency timer; log: %s", log(dir)).isPositive();
            assertThat(metrics.sum("fuse_engine_torrents").orElse(0)).isGreaterThanOrEqualTo(4);
            assertThat(metrics.labelled("fuse_engine_transport_errors_total", "errno", "ETIMEDOUT")).isPresent();

            final Path conf = TorrentCommandsTest.writeConfigUrl(dir.resolve("status.conf"),
                "http://127.0.0.1:" + simPort, metricsPort);
            final TorrentCommandsTest.Result status = TorrentCommandsTest.runWith(conf, "status");
            assertThat(status.code()).as(status.toString()).isZero();
            assertThat(status.out()).contains("solo.iso").contains("100.0%")
                .contains("engine running").contains("reads in flight").contains("p99 read latency")
                .containsPattern("cache hit rate \\d+\\.\\d%").containsPattern("resident memory \\d+ MiB");

            process.destroy(); // SIGTERM
            assertThat(process.waitFor(20, TimeUnit.SECONDS)).as("exited; log: %s", log(dir)).isTrue();
            assertThat(process.exitValue()).as("exit code; log: %s", log(dir)).isZero();
            final TorrentCommandsTest.Result after = TorrentCommandsTest.runWith(conf, "status");
            assertThat(after.out()).contains("engine not running");
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

    /** The endpoint starts just after the mount appears: retry connecting for a while. */
    private static PrometheusText fetchWhenUp(final int port, final Path dir) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (true)
        {
            try
            {
                return PrometheusText.fetch(new InetSocketAddress("127.0.0.1", port), Duration.ofSeconds(5));
            }
            catch (final java.io.IOException ex)
            {
                if (System.nanoTime() > deadline)
                {
                    throw new AssertionError("no metrics endpoint on port " + port + "; log: " + log(dir), ex);
                }
                Thread.sleep(100); // polling another process's port: nothing to wait on
            }
        }
    }

    private static String log(final Path dir)
    {
        try
        {
            final Path f = dir.resolve("demo.log");
            return Files.exists(f) ? Files.readString(f) : "(none)";
        }
        catch (final Exception ex)
        {
            return ex.toString();
        }
    }
}
