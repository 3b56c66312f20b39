package io.fuseengine.core.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EngineConfigTest
{
    @Test
    void shouldUseDocumentedDefaults()
    {
        final EngineConfig c = EngineConfig.defaults();
        assertThat(c.rqbitUrl().toString()).isEqualTo("http://127.0.0.1:3030");
        assertThat(c.readTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.maxConnections()).isEqualTo(4);
        assertThat(c.allowOther()).isFalse();
    }

    @Test
    void shouldLetFlagsOverrideEnvironmentOverrideFile(@TempDir final Path dir) throws Exception
    {
        final Path file = dir.resolve("fuse-engine.conf");
        Files.writeString(file, "read-timeout=10s\nmax-connections=2\nrqbit-url=http://127.0.0.1:9999/\n");
        final EngineConfig c = EngineConfig.context()
            .loadFile(file)
            .loadEnvironment(Map.of("FUSE_ENGINE_READ_TIMEOUT", "20s", "PATH", "/bin"))
            .set(EngineConfig.MAX_CONNECTIONS, "3")
            .conclude();
        assertThat(c.readTimeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(c.maxConnections()).isEqualTo(3);
        assertThat(c.rqbitUrl().toString()).isEqualTo("http://127.0.0.1:9999");
    }

    @Test
    void shouldRejectBadUrlNamingTheSetting()
    {
        assertThatThrownBy(() -> EngineConfig.context().rqbitUrl("ftp://x").conclude())
            .isInstanceOf(ConfigException.class).hasMessageContaining("rqbit-url");
        assertThatThrownBy(() -> EngineConfig.context().rqbitUrl("not a url").conclude())
            .isInstanceOf(ConfigException.class).hasMessageContaining("rqbit-url");
    }

    @Test
    void shouldRejectNegativeOrUnparsableTimeout()
    {
        assertThatThrownBy(() -> EngineConfig.context().set(EngineConfig.READ_TIMEOUT, "-5s").conclude())
            .isInstanceOf(ConfigException.class).hasMessageContaining("read-timeout");
        assertThatThrownBy(() -> EngineConfig.context().set(EngineConfig.READ_TIMEOUT, "soon"))
            .isInstanceOf(ConfigException.class).hasMessageContaining("read-timeout");
    }

    @Test
    void shouldRejectUnknownKeyAndUnreadableFile(@TempDir final Path dir)
    {
        assertThatThrownBy(() -> EngineConfig.context().set("colour", "blue"))
            .isInstanceOf(ConfigException.class).hasMessageContaining("unknown setting");
        assertThatThrownBy(() -> EngineConfig.context().loadFile(dir.resolve("missing.conf")))
            .isInstanceOf(ConfigException.class).hasMessageContaining("cannot read config file");
    }

    @Test
    void shouldNeverShowPassword()
    {
        final EngineConfig c = EngineConfig.context().rqbitUser("admin").rqbitPassword("s3cret").conclude();
        assertThat(c.toString()).doesNotContain("s3cret");
        assertThat(c.describe().get(EngineConfig.RQBIT_PASSWORD)).isEqualTo("********");
    }

    @Test
    void shouldParseDurationsInSeveralUnits()
    {
        assertThat(EngineConfig.parseDuration("k", "500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(EngineConfig.parseDuration("k", "1.5s")).isEqualTo(Duration.ofMillis(1500));
        assertThat(EngineConfig.parseDuration("k", "2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(EngineConfig.parseDuration("k", "7")).isEqualTo(Duration.ofSeconds(7));
    }

    @Test
    void shouldDefaultCacheAndReadAheadSettings()
    {
        final EngineConfig c = EngineConfig.defaults();
        assertThat(c.cacheSize()).isEqualTo(512L << 20);
        assertThat(c.cacheChunkSize()).isEqualTo(4 << 20);
        assertThat(c.cacheFile()).isNull();
        assertThat(c.readAheadMax()).isEqualTo(32L << 20);
        assertThat(c.describe()).containsEntry(EngineConfig.CACHE_SIZE, "512MiB").containsEntry(EngineConfig.CACHE_FILE, "");
    }

    @Test
    void shouldParseCacheSettingsWithBinaryUnits(@TempDir final Path dir)
    {
        final EngineConfig c = EngineConfig.context()
            .set(EngineConfig.CACHE_SIZE, "2GiB")
            .set(EngineConfig.CACHE_CHUNK_SIZE, "1M")
            .set(EngineConfig.READ_AHEAD_MAX, "64mb")
            .set(EngineConfig.CACHE_FILE, dir.resolve("chunks.dat").toString())
            .conclude();
        assertThat(c.cacheSize()).isEqualTo(2L << 30);
        assertThat(c.cacheChunkSize()).isEqualTo(1 << 20);
        assertThat(c.readAheadMax()).isEqualTo(64L << 20);
        assertThat(c.cacheFile()).isEqualTo(dir.resolve("chunks.dat"));
        assertThat(EngineConfig.context().set(EngineConfig.CACHE_FILE, "none").conclude().cacheFile()).isNull();
        assertThat(EngineConfig.parseSize("k", "65536")).isEqualTo(65536);
        assertThat(EngineConfig.parseSize("k", "64 KiB")).isEqualTo(65536);
    }

    @Test
    void shouldRejectInvalidCacheSettingsNamingTheSetting(@TempDir final Path dir)
    {
        assertThatThrownBy(() -> EngineConfig.context().set(EngineConfig.CACHE_CHUNK_SIZE, "3MiB").conclude())
            .isInstanceOf(ConfigException.class).hasMessageContaining("cache-chunk-size");
        assertThatThrownBy(() -> EngineConfig.context().set(EngineConfig.CACHE_CHUNK_SIZE, "32MiB").conclude())
            .isInstanceOf(ConfigException.class).hasMessageContaining("cache-chunk-size");
        assertThatThrownBy(() -> EngineConfig.context().set(EngineConfig.CACHE_SIZE, "4MiB").conclude())
            .isInstanceOf(ConfigException.class).hasMessageContaining("cache-size");
        assertThatThrownBy(() -> EngineConfig.context().set(EngineConfig.CACHE_SIZE, "lots"))
            .isInstanceOf(ConfigException.class).hasMessageContaining("cache-size");
        assertThatThrownBy(() -> EngineConfig.context().set(EngineConfig.CACHE_SIZE, "48MiB").conclude())
            .as("read-ahead of 32MiB would evict itself from a 48MiB cache")
            .isInstanceOf(ConfigException.class).hasMessageContaining("read-ahead-max");
        assertThatThrownBy(() -> EngineConfig.context().set(EngineConfig.READ_AHEAD_MAX, "1MiB").conclude())
            .isInstanceOf(ConfigException.class).hasMessageContaining("read-ahead-max");
        assertThatThrownBy(() -> EngineConfig.context().set(EngineConfig.CACHE_FILE, dir.toString()).conclude())
            .isInstanceOf(ConfigException.class).hasMessageContaining("cache-file");
        assertThat(EngineConfig.context().set(EngineConfig.READ_AHEAD_MAX, "0").conclude().readAheadMax()).isZero();
    }

    @Test
    void shouldServeMetricsOnLoopbackByDefaultAndAcceptOffOrHostPort()
    {
        assertThat(EngineConfig.defaults().metricsAddress().getHostString()).isEqualTo("127.0.0.1");
        assertThat(EngineConfig.defaults().metricsAddress().getPort()).isEqualTo(9464);
        assertThat(EngineConfig.defaults().describe().get(EngineConfig.METRICS_ADDR)).isEqualTo("127.0.0.1:9464");
        assertThat(EngineConfig.context().set(EngineConfig.METRICS_ADDR, "off").conclude().metricsAddress()).isNull();
        assertThat(EngineConfig.context().set(EngineConfig.METRICS_ADDR, "off").conclude().describe())
            .containsEntry(EngineConfig.METRICS_ADDR, "off");
        final EngineConfig v6 = EngineConfig.context()
            .loadEnvironment(Map.of("FUSE_ENGINE_METRICS_ADDR", "[::1]:9100")).conclude();
        assertThat(v6.metricsAddress().getHostString()).isEqualTo("::1");
        assertThat(v6.metricsAddress().getPort()).isEqualTo(9100);
        assertThat(v6.describe().get(EngineConfig.METRICS_ADDR)).isEqualTo("[::1]:9100");
    }

    @Test
    void shouldRejectMetricsAddressWithoutPortOrOutOfRangeNamingTheSetting()
    {
        for (final String bad : new String[] {"127.0.0.1", "127.0.0.1:99999", ":9464", "::1:9464", "host:port", "a b:1"})
        {
            assertThatThrownBy(() -> EngineConfig.context().set(EngineConfig.METRICS_ADDR, bad))
                .as(bad).isInstanceOf(ConfigException.class).hasMessageContaining("metrics-addr");
        }
    }

    @Test
    void shouldAllowRemovalByDefaultAndAcceptFalseFromFileEnvironmentOrSetter(@TempDir final Path dir) throws Exception
    {
        assertThat(EngineConfig.defaults().allowRemove()).isTrue();
        assertThat(EngineConfig.defaults().describe()).containsEntry(EngineConfig.ALLOW_REMOVE, "true");
        assertThat(EngineConfig.context().allowRemove(false).conclude().allowRemove()).isFalse();
        assertThat(EngineConfig.context().set(EngineConfig.ALLOW_REMOVE, "no").conclude().allowRemove()).isFalse();
        assertThat(EngineConfig.context().loadEnvironment(Map.of("FUSE_ENGINE_ALLOW_REMOVE", "false")).conclude()
            .allowRemove()).isFalse();
        final Path file = Files.writeString(dir.resolve("c.conf"), "allow-remove=off\n");
        assertThat(EngineConfig.context().loadFile(file).conclude().allowRemove()).isFalse();
        assertThat(EngineConfig.KEYS).contains(EngineConfig.ALLOW_REMOVE);
    }

    @Test
    void shouldRejectAllowRemoveThatIsNotABooleanNamingTheSetting()
    {
        assertThatThrownBy(() -> EngineConfig.context().set(EngineConfig.ALLOW_REMOVE, "maybe"))
            .isInstanceOf(ConfigException.class).hasMessageContaining("allow-remove");
    }
}
