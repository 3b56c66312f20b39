package io.fuseengine.app;

import io.fuseengine.core.config.ConfigException;
import io.fuseengine.core.config.EngineConfig;
import io.fuseengine.fuse.mount.FuseMount;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code --no-remove} and {@code --metrics-addr} end up in the engine configuration. */
class OperabilityFlagsTest
{
    private static EngineConfig parse(final String... args)
    {
        return CommandLine.populateCommand(new ConfigOptions(), args).toContext(Map.of()).conclude();
    }

    @Test
    void removalIsAllowedUnlessNoRemoveIsGivenWhichAlsoMountsReadOnly()
    {
        final EngineConfig byDefault = parse("--config", "/dev/null");
        assertThat(byDefault.allowRemove()).isTrue();
        assertThat(FuseMount.options(byDefault)).doesNotContain("ro");
        final EngineConfig noRemove = parse("--config", "/dev/null", "--no-remove");
        assertThat(noRemove.allowRemove()).isFalse();
        assertThat(FuseMount.options(noRemove)).contains("ro");
    }

    @Test
    void metricsAddrFlagSetsTheEndpointAddressOrTurnsItOff()
    {
        final EngineConfig c = parse("--config", "/dev/null", "--metrics-addr", "127.0.0.1:9100");
        assertThat(c.metricsAddress().getPort()).isEqualTo(9100);
        assertThat(c.describe()).containsEntry(EngineConfig.METRICS_ADDR, "127.0.0.1:9100");
        assertThat(parse("--config", "/dev/null", "--metrics-addr", "off").metricsAddress()).isNull();
    }

    @Test
    void metricsAddrWithoutPortIsRefusedNamingTheSetting()
    {
        assertThatThrownBy(() -> parse("--config", "/dev/null", "--metrics-addr", "localhost"))
            .isInstanceOf(ConfigException.class).hasMessageContaining("metrics-addr");
    }
}
