package io.fuseengine.app.ops;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import io.fuseengine.core.config.EngineConfig;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;

import static org.assertj.core.api.Assertions.assertThat;

class HeapSoftLimitTest
{
    private static final HotSpotDiagnosticMXBean HOTSPOT = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);

    private static EngineConfig config(final String heapSoftMax)
    {
        return EngineConfig.context().set(EngineConfig.HEAP_SOFT_MAX, heapSoftMax).conclude();
    }

    @Test
    void shouldSetZgcSoftMaxHeapSizeUnlessTheUserDid()
    {
        final boolean zgc = "true".equals(HOTSPOT.getVMOption("UseZGC").getValue());
        assertThat(zgc).as("app tests run on ZGC (app/pom.xml fe.test.flags)").isTrue();
        final VMOption before = HOTSPOT.getVMOption("SoftMaxHeapSize");
        final boolean userSet = before.getOrigin() != VMOption.Origin.DEFAULT
            && before.getOrigin() != VMOption.Origin.ERGONOMIC && before.getOrigin() != VMOption.Origin.MANAGEMENT;

        final long applied = HeapSoftLimit.apply(config("200MiB"));

        if (!zgc || userSet)
        {
            assertThat(applied).isEqualTo(-1);
            assertThat(HOTSPOT.getVMOption("SoftMaxHeapSize").getValue()).isEqualTo(before.getValue());
        }
        else
        {
            final long max = Long.parseLong(HOTSPOT.getVMOption("MaxHeapSize").getValue());
            assertThat(applied).isEqualTo(Math.min(200L << 20, max));
            assertThat(HOTSPOT.getVMOption("SoftMaxHeapSize").getValue()).isEqualTo(Long.toString(applied));
        }
    }

    @Test
    void shouldLeaveTheJvmAloneWhenTheLimitIsZero()
    {
        final String before = HOTSPOT.getVMOption("SoftMaxHeapSize").getValue();
        assertThat(HeapSoftLimit.apply(config("0"))).isEqualTo(-1);
        assertThat(HOTSPOT.getVMOption("SoftMaxHeapSize").getValue()).isEqualTo(before);
    }
}
