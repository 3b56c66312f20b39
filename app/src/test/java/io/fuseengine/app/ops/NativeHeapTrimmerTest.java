package io.fuseengine.app.ops;

import io.fuseengine.core.config.ConfigException;
import io.fuseengine.core.config.EngineConfig;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NativeHeapTrimmerTest
{
    @Test
    void shouldTrimTheCHeapThroughTheJvmsDiagnosticCommand() throws Exception
    {
        try (NativeHeapTrimmer trimmer = NativeHeapTrimmer.start(Duration.ofHours(1)))
        {
            assertThat(trimmer).as("JDK 17.0.9+ on glibc has System.trim_native_heap").isNotNull();
            final String answer = trimmer.trimNow();
            assertThat(answer).startsWith("Trim native heap").contains("RSS+Swap");
            assertThat(trimmer.trims()).isEqualTo(1);
        }
    }

    @Test
    void shouldKeepTrimmingEveryIntervalUntilClosed() throws Exception
    {
        final NativeHeapTrimmer trimmer = NativeHeapTrimmer.start(Duration.ofMillis(20));
        assertThat(trimmer).isNotNull();
        try
        {
            final long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (trimmer.trims() < 3 && System.nanoTime() < deadline)
            {
                Thread.onSpinWait();
            }
            assertThat(trimmer.trims()).isGreaterThanOrEqualTo(3);
        }
        finally
        {
            trimmer.close();
        }
        final long afterClose = trimmer.trims();
        Thread.sleep(100); // five intervals: a scheduler that survived close would trim again
        assertThat(trimmer.trims()).isLessThanOrEqualTo(afterClose + 1); // a trim already under way may finish
    }

    @Test
    void shouldNotStartWhenTheIntervalIsZero()
    {
        final EngineConfig off = EngineConfig.context().set(EngineConfig.NATIVE_TRIM_INTERVAL, "0").conclude();
        assertThat(off.nativeTrimInterval()).isZero();
        assertThat(NativeHeapTrimmer.start(off)).isNull();
    }

    @Test
    void shouldRefuseAnIntervalUnderOneSecondInTheConfig()
    {
        assertThatThrownBy(() -> EngineConfig.context().set(EngineConfig.NATIVE_TRIM_INTERVAL, "200ms").conclude())
            .isInstanceOf(ConfigException.class).hasMessageContaining("native-trim-interval");
        assertThat(EngineConfig.defaults().nativeTrimInterval()).isEqualTo(Duration.ofSeconds(5));
    }
}
