package io.fuseengine.app.ops;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import io.fuseengine.core.config.EngineConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.management.ManagementFactory;

/**
 * Applies {@link EngineConfig#heapSoftMax()} to the running JVM: ZGC's {@code SoftMaxHeapSize} is a manageable flag,
 * so the engine can keep its heap (and RSS) small without asking users for JVM flags on
 * {@code java -XX:+UseZGC -jar fuse-engine.jar}.
 * <p>
 * Why it matters: the engine's live heap is tens of MiB, but jffi attaches each native FUSE thread to the JVM as a
 * new {@link Thread} for every callback until that thread has made 1000 of them, and every attach retires a
 * thread-local allocation buffer. Measured (perf-reports/scale): ~1 100 attaches and ~250 MB/s of heap "allocation"
 * under sustained reads; with no limit ZGC let the heap grow towards a quarter of RAM (RSS 2.3 GiB for a 512 MiB
 * cache). A soft limit makes ZGC collect earlier (its pauses stay well under a millisecond); the heap may still
 * exceed it briefly when it must.
 * <p>
 * Left alone when the limit is 0, the collector is not ZGC, or the flag was set explicitly (command line,
 * {@code JAVA_TOOL_OPTIONS}, a flags file). Called once, on the main thread, before mounting.
 */
public final class HeapSoftLimit
{
    private static final Logger LOG = LoggerFactory.getLogger(HeapSoftLimit.class);
    private static final String FLAG = "SoftMaxHeapSize";

    private HeapSoftLimit()
    {
    }

    /** @return the limit now in force in bytes, or -1 if this call left the JVM alone. */
    public static long apply(final EngineConfig config)
    {
        final long limit = config.heapSoftMax();
        if (limit <= 0)
        {
            return -1;
        }
        try
        {
            final HotSpotDiagnosticMXBean hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            if (hotspot == null || !"true".equals(hotspot.getVMOption("UseZGC").getValue()))
            {
                LOG.debug("{} left alone: the collector is not ZGC", FLAG);
                return -1;
            }
            final VMOption current = hotspot.getVMOption(FLAG);
            if (current.getOrigin() != VMOption.Origin.DEFAULT && current.getOrigin() != VMOption.Origin.ERGONOMIC)
            {
                LOG.info("heap soft limit left at {} bytes (set by {})", current.getValue(), current.getOrigin());
                return -1;
            }
            final long max = Long.parseLong(hotspot.getVMOption("MaxHeapSize").getValue());
            final long applied = Math.min(limit, max);
            hotspot.setVMOption(FLAG, Long.toString(applied));
            LOG.info("heap soft limit {} MiB (ZGC SoftMaxHeapSize; the heap may exceed it briefly; max {} MiB)",
                applied >> 20, max >> 20);
            return applied;
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("could not set the heap soft limit ({}): the heap may grow towards the JVM's maximum", ex.toString());
            return -1;
        }
    }
}
