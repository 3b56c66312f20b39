package io.fuseengine.app;

import io.fuseengine.core.config.ConfigException;
import io.fuseengine.core.config.EngineConfig;
import io.fuseengine.fuse.mount.FuseMount;
import io.fuseengine.fuse.mount.KernelReadAhead;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The chunk-cache and read-ahead flags end up in the engine configuration. */
class CacheFlagsTest
{
    private static EngineConfig parse(final String... args)
    {
        return CommandLine.populateCommand(new ConfigOptions(), args).toContext(Map.of()).conclude();
    }

    @Test
    void cacheAndReadAheadFlagsSetTheirSettings()
    {
        final EngineConfig c = parse("--config", "/dev/null", "--cache-size", "1GiB", "--cache-chunk-size", "1MiB",
            "--cache-file", "/var/cache/fe/chunks.map", "--read-ahead-max", "16MiB");
        assertThat(c.cacheSize()).isEqualTo(1L << 30);
        assertThat(c.cacheChunkSize()).isEqualTo(1 << 20);
        assertThat(c.cacheFile()).isEqualTo(Path.of("/var/cache/fe/chunks.map"));
        assertThat(c.readAheadMax()).isEqualTo(16L << 20);
    }

    @Test
    void cacheFileNoneKeepsTheCacheInMemory()
    {
        assertThat(parse("--config", "/dev/null", "--cache-file", "none").cacheFile()).isNull();
    }

    @Test
    void raiseReadAheadKbBecomesOurMountOptionAndZeroOverridesTheDefault()
    {
        final EngineConfig c = parse("--config", "/dev/null", "--raise-read-ahead-kb", "1024");
        assertThat(FuseMount.readAheadKb(c)).isEqualTo(1024);
        assertThat(FuseMount.options(c)).noneMatch(o -> o.startsWith("x-"));
        final EngineConfig zero = parse("--config", "/dev/null", "--raise-read-ahead-kb", "0");
        assertThat(zero.fuseOptions()).containsExactly(FuseMount.READ_AHEAD_KB_OPTION + "=0");
        assertThat(FuseMount.readAheadKb(zero)).isZero();
        assertThat(FuseMount.readAheadKb(parse("--config", "/dev/null"))).isEqualTo(KernelReadAhead.DEFAULT_KB);
    }

    @Test
    void negativeRaiseReadAheadKbIsRefused()
    {
        assertThatThrownBy(() -> parse("--config", "/dev/null", "--raise-read-ahead-kb", "-1"))
            .isInstanceOf(ConfigException.class).hasMessageContaining("--raise-read-ahead-kb");
    }
}
