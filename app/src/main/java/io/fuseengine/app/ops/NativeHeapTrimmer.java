package io.fuseengine.app.ops;

import io.fuseengine.core.config.EngineConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.management.JMException;
import javax.management.MBeanOperationInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hands the C heap's free memory back to the OS every {@link EngineConfig#nativeTrimInterval()}, through the JVM's
 * own {@code System.trim_native_heap} diagnostic command (glibc {@code malloc_trim}), so users need no JVM flag.
 * <p>
 * Why: glibc keeps what the JVM frees (the JIT compilers' arenas above all, and libfuse's per-read buffers) in its
 * arenas. Measured on an idle mount right after start: one trim took VmRSS from 244 to 223 MiB; with 1000 files open
 * that is the difference between meeting and missing the cache budget + 256 MiB target on Java 17
 * (perf-reports/scale). A trim walks every arena under its lock, in a few milliseconds, on this class's own thread.
 * <p>
 * Left alone when the interval is 0 or the JVM has no such command (before 17.0.9, or a C library without
 * {@code malloc_trim}: the command then answers that it is not available, and the trimmer stops after one INFO line).
 * <p>
 * Threads: {@link #start} and {@link #close} on the owner's thread; trims on the daemon thread {@code fe-native-trim},
 * or on the caller's thread for {@link #trimNow}.
 */
public final class NativeHeapTrimmer implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(NativeHeapTrimmer.class);
    private static final String DIAGNOSTIC_COMMAND = "com.sun.management:type=DiagnosticCommand";
    /** {@code System.trim_native_heap} as the diagnostic-command MBean names its operation. */
    static final String OPERATION = "systemTrimNativeHeap";
    /** The command's answer when the C library cannot trim. */
    private static final String NOT_AVAILABLE = "not available";

    private final MBeanServer server;
    private final ObjectName name;
    private final boolean takesArguments;
    private final AtomicLong trims = new AtomicLong();
    private final ScheduledExecutorService scheduler;

    private NativeHeapTrimmer(final MBeanServer server, final ObjectName name, final boolean takesArguments,
        final Duration interval)
    {
        this.server = server;
        this.name = name;
        this.takesArguments = takesArguments;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r ->
        {
            final Thread t = new Thread(r, "fe-native-trim");
            t.setDaemon(true);
            return t;
        });
        final long periodMs = interval.toMillis();
        scheduler.scheduleWithFixedDelay(this::scheduledTrim, periodMs, periodMs, TimeUnit.MILLISECONDS);
    }

    /**
     * Owner thread: starts trimming every {@link EngineConfig#nativeTrimInterval()}.
     *
     * @return the running trimmer, or null when the interval is 0 or this JVM cannot trim (logged).
     */
    public static NativeHeapTrimmer start(final EngineConfig config)
    {
        return start(config.nativeTrimInterval());
    }

    /** As {@link #start(EngineConfig)}, with the interval given (tests use short ones). */
    static NativeHeapTrimmer start(final Duration interval)
    {
        if (interval.isZero() || interval.isNegative())
        {
            return null;
        }
        try
        {
            final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            final ObjectName name = new ObjectName(DIAGNOSTIC_COMMAND);
            for (final MBeanOperationInfo op : server.getMBeanInfo(name).getOperations())
            {
                if (OPERATION.equals(op.getName()))
                {
                    final NativeHeapTrimmer trimmer = new NativeHeapTrimmer(server, name, op.getSignature().length > 0, interval);
                    LOG.info("native heap trimmed every {} ms (System.trim_native_heap; {}=0 turns it off)",
                        interval.toMillis(), EngineConfig.NATIVE_TRIM_INTERVAL);
                    return trimmer;
                }
            }
            LOG.info("native heap not trimmed: this JVM has no System.trim_native_heap (17.0.9 or later has)");
        }
        catch (final JMException | RuntimeException ex)
        {
            LOG.info("native heap not trimmed: {}", ex.toString());
        }
        return null;
    }

    /**
     * Any thread: trims now.
     *
     * @return the command's answer, e.g. {@code Trim native heap: RSS+Swap: 244M->223M (-21576K)}.
     * @throws JMException if the command failed.
     */
    public String trimNow() throws JMException
    {
        final Object answer = takesArguments
            ? server.invoke(name, OPERATION, new Object[] {new String[0]}, new String[] {String[].class.getName()})
            : server.invoke(name, OPERATION, new Object[0], new String[0]);
        trims.incrementAndGet();
        return answer == null ? "" : answer.toString().trim();
    }

    /** Trims done so far (scheduled or {@link #trimNow}). */
    public long trims()
    {
        return trims.get();
    }

    private void scheduledTrim()
    {
        try
        {
            final String answer = trimNow();
            if (answer.contains(NOT_AVAILABLE))
            {
                LOG.info("native heap trimming stopped: {}", answer.replace('\n', ' '));
                scheduler.shutdown();
                return;
            }
            LOG.debug("{}", answer.replace('\n', ' '));
        }
        catch (final JMException | RuntimeException ex)
        {
            LOG.warn("native heap trimming stopped after a failed trim: {}", ex.toString());
            scheduler.shutdown();
        }
    }

    /** Owner thread: stops trimming; a trim under way finishes. */
    @Override
    public void close()
    {
        scheduler.shutdownNow();
    }
}
