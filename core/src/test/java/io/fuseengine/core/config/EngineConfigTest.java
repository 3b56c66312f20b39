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
}
