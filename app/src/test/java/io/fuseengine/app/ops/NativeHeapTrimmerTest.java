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
    private static final long SECOND = Duration.ofSeconds(1).toNanos();

    /** Idle interval 5 s, no thread of its own: the test drives {@link NativeHeapTrimmer#tick} with its own clock. */
    private static NativeHeapTrimmer driven(final AtomicLong reads)
    {
        final NativeHeapTrimmer trimmer = NativeHeapTrimmer.start(Duration.ofSeconds(5), reads::get, false);
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
            long now = System.nanoTime();
            assertThat(trimmer.tick(now += 4 * SECOND)).as("idle for 4 s of 5").isFalse();
            assertThat(trimmer.tick(now += SECOND)).as("idle since start for 5 s, never trimmed").isTrue();
            assertThat(trimmer.tick(now += SECOND)).as("still idle: nothing new to hand back").isFalse();
            assertThat(trimmer.tick(now += 60 * SECOND)).isFalse();

            reads.addAndGet(100);
            assertThat(trimmer.tick(now += SECOND)).as("reads in the last second").isFalse();
            reads.addAndGet(100);
            assertThat(trimmer.tick(now += SECOND)).isFalse();
            assertThat(trimmer.tick(now += 4 * SECOND)).as("4 s without reads").isFalse();
            assertThat(trimmer.tick(now += SECOND)).as("5 s without reads after reads").isTrue();
            assertThat(trimmer.tick(now += SECOND)).isFalse();
            assertThat(trimmer.trims()).isEqualTo(2);
        }
    }

    @Test
    void shouldStillTrimEveryTwelveIntervalsUnderReadsThatNeverStop() throws Exception
    {
        final AtomicLong reads = new AtomicLong();
        try (NativeHeapTrimmer trimmer = driven(reads))
        {
            final long start = System.nanoTime();
            final long every = NativeHeapTrimmer.BUSY_INTERVALS_PER_TRIM * 5L;
            long trimmedAt = 1; // reads seen from the first look on
            for (long second = 1; second <= 2 * every + 1; second++)
            {
                reads.incrementAndGet();
                if (trimmer.tick(start + second * SECOND))
                {
                    assertThat(second - trimmedAt).as("one trim per %d s of reads", every).isEqualTo(every);
                    trimmedAt = second;
                }
            }
            assertThat(trimmer.trims()).isEqualTo(2);
            assertThat(trimmedAt).isEqualTo(2 * every + 1);
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
                reads.incrementAndGet(); // never idle: only the every-12-intervals trims happen
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
