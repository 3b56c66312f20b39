package io.fuseengine.app.ops;

import io.fuseengine.core.config.ConfigException;
import io.fuseengine.core.config.EngineConfig;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NativeHeapTrimmerTest
{
    /** Interval 0: no thread of its own, the test drives {@link NativeHeapTrimmer#tick}. */
    private static NativeHeapTrimmer driven(final AtomicLong reads)
    {
        final NativeHeapTrimmer trimmer = NativeHeapTrimmer.start(Duration.ZERO, reads::get);
        assertThat(trimmer).as("JDK 17.0.9+ on glibc has System.trim_native_heap").isNotNull();
        return trimmer;
    }

    @Test
    void shouldTrimTheCHeapThroughTheJvmsDiagnosticCommand() throws Exception
    {
        try (NativeHeapTrimmer trimmer = driven(new AtomicLong()))
        {
            final String answer = trimmer.trimNow();
            assertThat(answer).startsWith("Trim native heap").contains("RSS+Swap");
            assertThat(trimmer.trims()).isEqualTo(1);
        }
    }

    @Test
    void shouldTrimOnceWhenTheMountGoesIdleAndNotAgainUntilReadsResume() throws Exception
    {
        final AtomicLong reads = new AtomicLong();
        try (NativeHeapTrimmer trimmer = driven(reads))
        {
            assertThat(trimmer.tick()).as("idle since start, never trimmed").isTrue();
            assertThat(trimmer.tick()).as("still idle: nothing new to hand back").isFalse();
            assertThat(trimmer.tick()).isFalse();

            reads.addAndGet(100);
            assertThat(trimmer.tick()).as("reads during the interval").isFalse();
            reads.addAndGet(100);
            assertThat(trimmer.tick()).isFalse();
            assertThat(trimmer.tick()).as("first idle interval after reads").isTrue();
            assertThat(trimmer.tick()).isFalse();
            assertThat(trimmer.trims()).isEqualTo(2);
        }
    }

    @Test
    void shouldStillTrimEveryTwelveIntervalsUnderReadsThatNeverStop() throws Exception
    {
        final AtomicLong reads = new AtomicLong();
        try (NativeHeapTrimmer trimmer = driven(reads))
        {
            int trimmedAt = 0;
            for (int tick = 1; tick <= 2 * NativeHeapTrimmer.BUSY_TICKS_PER_TRIM; tick++)
            {
                reads.incrementAndGet();
                if (trimmer.tick())
                {
                    assertThat(trimmedAt).as("one trim per %d busy intervals", NativeHeapTrimmer.BUSY_TICKS_PER_TRIM)
                        .isEqualTo(tick - NativeHeapTrimmer.BUSY_TICKS_PER_TRIM);
                    trimmedAt = tick;
                }
            }
            assertThat(trimmer.trims()).isEqualTo(2);
            assertThat(trimmedAt).isEqualTo(2 * NativeHeapTrimmer.BUSY_TICKS_PER_TRIM);
        }
    }

    @Test
    void shouldTickOnItsOwnThreadUntilClosed() throws Exception
    {
        final AtomicLong reads = new AtomicLong();
        final NativeHeapTrimmer trimmer = NativeHeapTrimmer.start(Duration.ofMillis(20), reads::get);
        assertThat(trimmer).isNotNull();
        try
        {
            final long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (trimmer.trims() < 3 && System.nanoTime() < deadline)
            {
                reads.incrementAndGet(); // busy every interval: only the every-12-intervals trims happen
                Thread.onSpinWait();
            }
            assertThat(trimmer.trims()).isGreaterThanOrEqualTo(3);
        }
        finally
        {
            trimmer.close();
        }
        final long afterClose = trimmer.trims();
        reads.incrementAndGet();
        Thread.sleep(100); // five intervals: a scheduler that survived close would trim the idle-after-reads mount
        assertThat(trimmer.trims()).isLessThanOrEqualTo(afterClose + 1); // a trim already under way may finish
    }

    @Test
    void shouldNotStartWhenTheIntervalIsZero()
    {
        final EngineConfig off = EngineConfig.context().set(EngineConfig.NATIVE_TRIM_INTERVAL, "0").conclude();
        assertThat(off.nativeTrimInterval()).isZero();
        assertThat(NativeHeapTrimmer.start(off, () -> 0)).isNull();
    }

    @Test
    void shouldRefuseAnIntervalUnderOneSecondInTheConfig()
    {
        assertThatThrownBy(() -> EngineConfig.context().set(EngineConfig.NATIVE_TRIM_INTERVAL, "200ms").conclude())
            .isInstanceOf(ConfigException.class).hasMessageContaining("native-trim-interval");
        assertThat(EngineConfig.defaults().nativeTrimInterval()).isEqualTo(Duration.ofSeconds(5));
    }
}
