package io.fuseengine.app.ops;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class ProcessMetricsTest
{
    @Test
    void shouldParseVmRssInKibibytesFromProcStatus()
    {
        final String status = "Name:\tjava\nVmPeak:\t 9000 kB\nVmHWM:\t  800000 kB\nVmRSS:\t  754321 kB\nRssAnon:\t 1 kB\n";
        assertThat(ProcessMemory.parseResidentBytes(status)).isEqualTo(754_321L * 1024);
        assertThat(ProcessMemory.parseResidentBytes("Name:\tjava\n")).isEqualTo(-1);
        assertThat(ProcessMemory.parseResidentBytes("VmRSS:\t kB\n")).isEqualTo(-1);
    }

    @Test
    void shouldReadThisProcessesResidentMemory()
    {
        final long rss = ProcessMemory.residentBytes();
        final long heapUsed = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        assertThat(rss).as("a JVM is resident for more than its used heap and less than 64 GiB")
            .isGreaterThan(Math.min(heapUsed, 16L << 20)).isLessThan(64L << 30);
    }

    @Test
    void shouldExportResidentMemoryJvmPoolsAndTrimsInPrometheusText() throws Exception
    {
        try (NativeHeapTrimmer trimmer = NativeHeapTrimmer.start(Duration.ofHours(1), () -> 0, false);
             EngineMetrics metrics = new EngineMetrics().bindProcess(trimmer))
        {
            assertThat(trimmer).isNotNull();
            trimmer.trimNow();
            trimmer.trimNow();

            final PrometheusText text = PrometheusText.parse(metrics.scrape());

            for (final String name : EngineMetrics.PROCESS_NAMES)
            {
                assertThat(text.has(name)).as("%s exported", name).isTrue();
            }
            assertThat(text.sum("fuse_engine_native_heap_trims_total")).hasValue(2);
            assertThat(text.sum("fuse_engine_process_resident_memory_bytes").orElse(0))
                .isGreaterThan(16L << 20);
            assertThat(text.labelled("jvm_memory_used_bytes", "area", "heap")).isPresent();
        }
    }

    @Test
    void shouldLeaveTheTrimsCounterOutWhenTrimmingIsOff()
    {
        try (EngineMetrics metrics = new EngineMetrics().bindProcess(null))
        {
            final PrometheusText text = PrometheusText.parse(metrics.scrape());
            assertThat(text.has("fuse_engine_native_heap_trims_total")).isFalse();
            assertThat(text.has("fuse_engine_process_resident_memory_bytes")).isTrue();
        }
    }
}
