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
import java.util.function.LongSupplier;

/**
 * Hands the C heap's free memory back to the OS when the mount goes idle, through the JVM's own
 * {@code System.trim_native_heap} diagnostic command (glibc {@code malloc_trim}), so users need no JVM flag.
 * <p>
 * When: every {@link EngineConfig#nativeTrimInterval()} the trimmer looks at an activity count (the engine's FUSE reads).
 * It trims once when a whole interval passed without activity and there was activity since its last trim (or it has
 * not trimmed yet), so an idle mount is trimmed once, not every interval; and while reads never stop it still trims
 * every {@value #BUSY_TICKS_PER_TRIM} intervals. Why not simply every interval: a trim hands back pages the readers
 * fault straight back in, and trimming every 5 s under 16 cold sequential readers cost about 10 % of their throughput
 * (perf-reports/ab/ab-trim2.log, ab-trim3.log), while every 30 s left the 1000-open-files RSS over its target
 * (perf-reports/scale).
 * <p>
 * Why: glibc keeps what the JVM frees (the JIT compilers' arenas above all, and libfuse's per-read buffers) in its
 * arenas. Measured on an idle mount right after start: one trim took VmRSS from 244 to 223 MiB; with 1000 files open
 * that is the difference between meeting and missing the cache budget + 256 MiB target on Java 17
 * (perf-reports/scale). A trim walks every arena under its lock, in a few milliseconds, on this class's own thread.
 * <p>
 * Left alone when the interval is 0 or the JVM has no such command (before 17.0.9, or a C library without
 * {@code malloc_trim}: the command then answers that it is not available, and the trimmer stops after one INFO line).
 * <p>
 * Threads: {@link #start} and {@link #close} on the owner's thread; {@link #tick} and its trims on the daemon thread
 * {@code fe-native-trim} only; {@link #trimNow} and {@link #trims} on any thread.
 */
public final class NativeHeapTrimmer implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(NativeHeapTrimmer.class);
    private static final String DIAGNOSTIC_COMMAND = "com.sun.management:type=DiagnosticCommand";
    /** {@code System.trim_native_heap} as the diagnostic-command MBean names its operation. */
    static final String OPERATION = "systemTrimNativeHeap";
    /** The command's answer when the C library cannot trim. */
    private static final String NOT_AVAILABLE = "not available";

    /** While activity never stops, one trim every this many intervals. */
    static final int BUSY_TICKS_PER_TRIM = 12;

    private final MBeanServer server;
    private final ObjectName name;
    private final boolean takesArguments;
    private final LongSupplier activity;
    private final AtomicLong trims = new AtomicLong();
    private final ScheduledExecutorService scheduler;
    /** Confined to the trimming thread ({@link #tick}): activity seen at the previous tick and at the last trim. */
    private long activityAtLastTick;
    private long activityAtLastTrim = Long.MIN_VALUE;
    private int busyTicks;

    private NativeHeapTrimmer(final MBeanServer server, final ObjectName name, final boolean takesArguments,
        final Duration interval, final LongSupplier activity)
    {
        this.server = server;
        this.name = name;
        this.takesArguments = takesArguments;
        this.activity = activity;
        this.activityAtLastTick = activity.getAsLong();
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r ->
        {
            final Thread t = new Thread(r, "fe-native-trim");
            t.setDaemon(true);
            return t;
        });
        if (!interval.isZero())
        {
            final long periodMs = interval.toMillis();
            scheduler.scheduleWithFixedDelay(this::scheduledTick, periodMs, periodMs, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Owner thread: starts looking at {@code activity} every {@link EngineConfig#nativeTrimInterval()}.
     *
     * @param activity any count that grows with the work that uses the C heap (the engine's FUSE reads); read on the
     *                 trimming thread.
     * @return the running trimmer, or null when the interval is 0 or this JVM cannot trim (logged).
     */
    public static NativeHeapTrimmer start(final EngineConfig config, final LongSupplier activity)
    {
        final Duration interval = config.nativeTrimInterval();
        if (interval.isZero() || interval.isNegative())
        {
            return null;
        }
        return start(interval, activity);
    }

    /**
     * As {@link #start(EngineConfig, LongSupplier)}; an interval of 0 starts no thread: the caller drives
     * {@link #tick} (tests).
     */
    static NativeHeapTrimmer start(final Duration interval, final LongSupplier activity)
    {
        try
        {
            final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            final ObjectName name = new ObjectName(DIAGNOSTIC_COMMAND);
            for (final MBeanOperationInfo op : server.getMBeanInfo(name).getOperations())
            {
                if (OPERATION.equals(op.getName()))
                {
                    final NativeHeapTrimmer trimmer = new NativeHeapTrimmer(server, name, op.getSignature().length > 0, interval, activity);
                    LOG.info("native heap trimmed after {} ms without reads, and every {} ms under reads "
                        + "(System.trim_native_heap; {}=0 turns it off)", interval.toMillis(),
                        interval.toMillis() * BUSY_TICKS_PER_TRIM, EngineConfig.NATIVE_TRIM_INTERVAL);
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

    /**
     * Trimming thread (or a test's thread when it drives the trimmer): one look at the activity count; trims when the
     * last interval was idle after activity, or after {@value #BUSY_TICKS_PER_TRIM} busy intervals.
     *
     * @return true if this tick trimmed.
     * @throws JMException if the trim failed.
     */
    boolean tick() throws JMException
    {
        final long now = activity.getAsLong();
        final boolean idle = now == activityAtLastTick;
        activityAtLastTick = now;
        if (idle)
        {
            busyTicks = 0;
            if (now == activityAtLastTrim)
            {
                return false; // still idle since the last trim: nothing new to hand back
            }
        }
        else if (++busyTicks < BUSY_TICKS_PER_TRIM)
        {
            return false;
        }
        busyTicks = 0;
        activityAtLastTrim = now;
        final String answer = trimNow();
        if (answer.contains(NOT_AVAILABLE))
        {
            throw new UnsupportedOperationException(answer.replace('\n', ' '));
        }
        LOG.debug("{}", answer.replace('\n', ' '));
        return true;
    }

    private void scheduledTick()
    {
        try
        {
            tick();
        }
        catch (final UnsupportedOperationException ex)
        {
            LOG.info("native heap trimming stopped: {}", ex.getMessage());
            scheduler.shutdown();
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
