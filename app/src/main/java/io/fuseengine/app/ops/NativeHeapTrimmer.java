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
 * When: once a second the trimmer looks at an activity count (the engine's FUSE reads). It trims once the count has
 * not moved for {@link EngineConfig#nativeTrimInterval()} and has moved since its last trim (or it has not trimmed
 * yet), so an idle mount is trimmed once, not over and over; and while reads never stop it still trims every
 * {@value #BUSY_INTERVALS_PER_TRIM} intervals. Why not simply every interval: a trim while readers run hands back pages
 * they fault straight back in, work for nothing; an earlier A/B suggested trims every 5 s cost about a tenth of cold
 * throughput, a rerun did not reproduce it (1.03x, within noise: perf-reports/ab/ab-periodic-vs-idle.log), so the
 * case rests on doing no needless work, while a plain period of 30 s left the 1000-open-files RSS over its target
 * (perf-reports/scale/20261204T224640Z).
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
 * {@code fe-native-trim} only (on the test's thread when started unscheduled); {@link #trimNow} and {@link #trims} on
 * any thread.
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
    static final int BUSY_INTERVALS_PER_TRIM = 12;
    /** How often the activity count is looked at (at most; a shorter interval is looked at every interval). */
    static final Duration LOOK_PERIOD = Duration.ofSeconds(1);

    private final MBeanServer server;
    private final ObjectName name;
    private final boolean takesArguments;
    private final LongSupplier activity;
    private final AtomicLong trims = new AtomicLong();
    private final ScheduledExecutorService scheduler;
    private final long idleNanos;
    /*
     * Confined to the thread that calls tick once started (set before the first look is scheduled): the last count
     * seen, when it last moved, when it first moved after a look that saw it still, whether the last look saw it
     * move, the count at the last trim and when that trim was (the start until the first).
     */
    private long lastActivity;
    private long lastChangeNanos;
    private long busySinceNanos;
    private boolean movedAtLastLook;
    private long activityAtLastTrim = Long.MIN_VALUE;
    private long lastTrimNanos;

    private NativeHeapTrimmer(final MBeanServer server, final ObjectName name, final boolean takesArguments,
        final Duration interval, final LongSupplier activity, final boolean scheduled)
    {
        this.server = server;
        this.name = name;
        this.takesArguments = takesArguments;
        this.activity = activity;
        this.idleNanos = interval.toNanos();
        this.lastActivity = activity.getAsLong();
        this.lastChangeNanos = System.nanoTime();
        this.lastTrimNanos = lastChangeNanos;
        this.busySinceNanos = lastChangeNanos;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r ->
        {
            final Thread t = new Thread(r, "fe-native-trim");
            t.setDaemon(true);
            return t;
        });
        if (scheduled)
        {
            final long periodMs = Math.min(interval.toMillis(), LOOK_PERIOD.toMillis());
            scheduler.scheduleWithFixedDelay(this::scheduledTick, periodMs, periodMs, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Owner thread: starts looking at {@code activity} once a second (see the class comment for when it trims).
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
     * As {@link #start(EngineConfig, LongSupplier)}, with the interval given (tests use short ones).
     */
    static NativeHeapTrimmer start(final Duration interval, final LongSupplier activity)
    {
        return start(interval, activity, true);
    }

    /**
     * As {@link #start(Duration, LongSupplier)}; {@code scheduled} false starts no thread: the caller drives
     * {@link #tick} with its own clock (tests).
     */
    static NativeHeapTrimmer start(final Duration interval, final LongSupplier activity, final boolean scheduled)
    {
        try
        {
            final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            final ObjectName name = new ObjectName(DIAGNOSTIC_COMMAND);
            for (final MBeanOperationInfo op : server.getMBeanInfo(name).getOperations())
            {
                if (OPERATION.equals(op.getName()))
                {
                    final NativeHeapTrimmer trimmer = new NativeHeapTrimmer(
                        server, name, op.getSignature().length > 0, interval, activity, scheduled);
                    LOG.info("native heap trimmed after {} ms without reads, and every {} ms under reads "
                        + "(System.trim_native_heap; {}=0 turns it off)", interval.toMillis(),
                        interval.toMillis() * BUSY_INTERVALS_PER_TRIM, EngineConfig.NATIVE_TRIM_INTERVAL);
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
     * Trimming thread (or a test's thread when it drives the trimmer): one look at the activity count at
     * {@code nowNanos} ({@link System#nanoTime} or a test's clock); trims when the count has not moved for an interval
     * and moved since the last trim, or when {@value #BUSY_INTERVALS_PER_TRIM} intervals passed since the last trim.
     *
     * @return true if this look trimmed.
     * @throws JMException if the trim failed.
     */
    boolean tick(final long nowNanos) throws JMException
    {
        final long count = activity.getAsLong();
        final boolean moved = count != lastActivity;
        if (moved)
        {
            if (!movedAtLastLook)
            {
                busySinceNanos = nowNanos;
            }
            lastActivity = count;
            lastChangeNanos = nowNanos;
        }
        movedAtLastLook = moved;
        final boolean idle = nowNanos - lastChangeNanos >= idleNanos;
        final boolean due = idle
            ? count != activityAtLastTrim
            : nowNanos - Math.max(lastTrimNanos, busySinceNanos) >= BUSY_INTERVALS_PER_TRIM * idleNanos;
        if (!due)
        {
            return false;
        }
        activityAtLastTrim = count;
        lastTrimNanos = nowNanos;
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
            tick(System.nanoTime());
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
