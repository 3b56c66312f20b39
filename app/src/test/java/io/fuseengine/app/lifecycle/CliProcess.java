package io.fuseengine.app.lifecycle;

import io.fuseengine.app.Main;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * {@code fuse-engine} run as a child JVM, as a user would (same class path and JVM flags as the test JVM, config and
 * state directories under the test's temp dir), with its output in a log file.
 */
final class CliProcess implements AutoCloseable
{
    final Process process;
    final Path log;
    private final Path mountPoint;

    private CliProcess(final Process process, final Path log, final Path mountPoint)
    {
        this.process = process;
        this.log = log;
        this.mountPoint = mountPoint;
    }

    /**
     * @param home       directory for the child's XDG config/state and its log.
     * @param mountPoint the mountpoint the command uses (unmounted lazily on close if still mounted).
     * @param args       the command line after {@code fuse-engine}.
     */
    static CliProcess start(final Path home, final String logName, final Path mountPoint, final String... args) throws IOException
    {
        final List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (final String arg : ManagementFactory.getRuntimeMXBean().getInputArguments())
        {
            if (arg.startsWith("--add-") || arg.startsWith("--enable-native") || arg.startsWith("--sun-misc")
                || arg.startsWith("-Dio.netty.leakDetection") || arg.startsWith("-Dfile.encoding"))
            {
                cmd.add(arg);
            }
        }
        cmd.add("-Xmx256m");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(List.of(args));
        final Path log = home.resolve(logName);
        final ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("XDG_CONFIG_HOME", Files.createDirectories(home.resolve("config")).toString());
        pb.environment().put("XDG_STATE_HOME", Files.createDirectories(home.resolve("state")).toString());
        return new CliProcess(pb.start(), log, mountPoint);
    }

    String log()
    {
        try
        {
            return Files.exists(log) ? Files.readString(log) : "(no log)";
        }
        catch (final IOException ex)
        {
            return ex.toString();
        }
    }

    /** Polls every 20 ms, at most {@code seconds}, while the process lives. */
    boolean awaitWhileAlive(final long seconds, final BooleanSupplier condition)
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0 || !process.isAlive())
            {
                return condition.getAsBoolean();
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        return true;
    }

    static boolean isMounted(final Path mnt)
    {
        try
        {
            for (final String line : Files.readAllLines(Path.of("/proc/self/mountinfo")))
            {
                final String[] f = line.split(" ");
                if (f.length > 4 && f[4].equals(mnt.toString()))
                {
                    return true;
                }
            }
            return false;
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    static void lazyUnmount(final Path mnt)
    {
        try
        {
            new ProcessBuilder("fusermount", "-u", "-z", mnt.toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(5, TimeUnit.SECONDS);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close()
    {
        if (process.isAlive())
        {
            process.destroyForcibly();
            try
            {
                process.waitFor(10, TimeUnit.SECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        if (mountPoint != null && isMounted(mountPoint))
        {
            lazyUnmount(mountPoint);
        }
    }
}
