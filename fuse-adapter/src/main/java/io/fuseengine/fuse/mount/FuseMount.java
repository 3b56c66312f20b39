package io.fuseengine.fuse.mount;

import io.fuseengine.core.config.EngineConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import ru.serce.jnrfuse.AbstractFuseFS;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * Mounts a jnr-fuse filesystem read-only and unmounts it again, with the checks libfuse does not do: the mountpoint
 * must exist, be an empty directory and not be a live mount; a stale mount left by a killed process ("Transport
 * endpoint is not connected") is cleared with {@code fusermount -u -z} first.
 * <p>
 * Options: {@code ro,fsname=fuse-engine,subtype=fuse-engine,default_permissions,max_read=131072,use_ino}, plus
 * {@code allow_other} when configured and the configured extra options. ({@code use_ino} makes the kernel report
 * the catalog's stable inode numbers instead of libfuse's own counters.)
 * <p>
 * Threads: {@link #mount} and {@link #close} are called by the thread that owns the engine (start/stop);
 * {@link #close} is idempotent and thread-safe.
 */
public final class FuseMount implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(FuseMount.class);
    /** How long mounting may take to show up in mountinfo, and unmounting to disappear from it. */
    static final long SETTLE_NS = TimeUnit.SECONDS.toNanos(5);
    public static final String FS_NAME = "fuse-engine";

    private final AbstractFuseFS fs;
    private final Path mountPoint;
    private boolean closed;

    private FuseMount(final AbstractFuseFS fs, final Path mountPoint)
    {
        this.fs = fs;
        this.mountPoint = mountPoint;
    }

    /**
     * Mounts {@code fs} at {@code mountPoint}; returns once the mount is live (jnr-fuse itself waits 2 s for an early
     * failure).
     *
     * @throws MountException with a message fit for the user if the mountpoint is unusable or libfuse refuses.
     */
    public static FuseMount mount(final AbstractFuseFS fs, final Path mountPoint, final EngineConfig config)
    {
        final Path path = canonical(mountPoint);
        clearStaleOrRefuseLive(path);
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS))
        {
            throw new MountException("mountpoint " + path + " does not exist: create an empty directory first");
        }
        if (!Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS))
        {
            throw new MountException("mountpoint " + path + " is not a directory");
        }
        try (Stream<Path> entries = Files.list(path))
        {
            if (entries.findAny().isPresent())
            {
                throw new MountException("mountpoint " + path + " is not empty: mount on an empty directory");
            }
        }
        catch (final IOException ex)
        {
            throw new MountException("cannot read mountpoint " + path + ": " + ex.getMessage(), ex);
        }
        if (!StandardCharsets.UTF_8.equals(Charset.defaultCharset()))
        {
            LOG.warn("default charset is {}, not UTF-8: paths with non-ASCII names will not resolve; run with -Dfile.encoding=UTF-8",
                Charset.defaultCharset());
        }

        final String options = String.join(",", options(config));
        try
        {
            fs.mount(path, false, false, new String[] {"-o", options});
        }
        catch (final RuntimeException ex)
        {
            throw new MountException("libfuse could not mount " + path + " (options " + options + "): "
                + rootMessage(ex) + " (is /dev/fuse available and fusermount installed?"
                + (config.allowOther() ? " allow_other needs user_allow_other in /etc/fuse.conf unless run as root" : "")
                + ")", ex);
        }
        final FuseMount mount = new FuseMount(fs, path);
        if (!waitUntil(path, true))
        {
            mount.close();
            throw new MountException("mount of " + path + " did not appear in /proc/self/mountinfo within 5 s");
        }
        LOG.info("mounted {} read-only (-o {})", path, options);
        return mount;
    }

    /**
     * @return the mount options, in order.
     */
    public static List<String> options(final EngineConfig config)
    {
        final List<String> o = new ArrayList<>(List.of(
            "ro", "fsname=" + FS_NAME, "subtype=" + FS_NAME, "default_permissions", "max_read=131072", "use_ino"));
        if (config.allowOther())
        {
            o.add("allow_other");
        }
        for (final String extra : config.fuseOptions())
        {
            if (!o.contains(extra))
            {
                o.add(extra);
            }
        }
        return o;
    }

    /**
     * Resolves symbolic links in the parent so the path matches mountinfo (the mountpoint itself may be a dead
     * mount, which cannot be resolved).
     */
    static Path canonical(final Path mountPoint)
    {
        final Path abs = mountPoint.toAbsolutePath().normalize();
        final Path parent = abs.getParent();
        if (parent == null)
        {
            throw new MountException("cannot mount on /");
        }
        try
        {
            return parent.toRealPath().resolve(abs.getFileName());
        }
        catch (final IOException ex)
        {
            throw new MountException("mountpoint " + abs + " does not exist (its parent " + parent + " cannot be resolved)", ex);
        }
    }

    private static void clearStaleOrRefuseLive(final Path path)
    {
        final MountTable.Entry entry = MountTable.find(path);
        if (entry == null)
        {
            return;
        }
        try
        {
            Files.readAttributes(path, BasicFileAttributes.class);
            throw new MountException("mountpoint " + path + " is already a live mount (" + entry.fsType() + " from "
                + entry.source() + "): unmount it first");
        }
        catch (final IOException ex)
        {
            LOG.warn("stale mount at {} ({}: {}); clearing it with fusermount -u -z", path, entry.fsType(), ex.getMessage());
            lazyUnmount(path);
            if (!waitUntil(path, false))
            {
                throw new MountException("stale mount at " + path + " could not be cleared: run fusermount -u -z " + path);
            }
        }
    }

    /**
     * Runs {@code fusermount -u -z <path>} and waits for it to exit (bounded).
     */
    public static void lazyUnmount(final Path path)
    {
        try
        {
            final Process p = new ProcessBuilder("fusermount", "-u", "-z", path.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
            if (!p.waitFor(5, TimeUnit.SECONDS))
            {
                p.destroyForcibly();
            }
        }
        catch (final IOException ex)
        {
            LOG.warn("cannot run fusermount -u -z {}: {}", path, ex.toString());
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Polls mountinfo until {@code path} is (or is no longer) a mount point, for at most 5 s.
     */
    static boolean waitUntil(final Path path, final boolean mounted)
    {
        final long deadline = System.nanoTime() + SETTLE_NS;
        long park = TimeUnit.MILLISECONDS.toNanos(1);
        while (true)
        {
            if (MountTable.isMountPoint(path) == mounted)
            {
                return true;
            }
            if (System.nanoTime() - deadline > 0)
            {
                return false;
            }
            LockSupport.parkNanos(park);
            park = Math.min(park * 2, TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    private static String rootMessage(final Throwable t)
    {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c)
        {
            c = c.getCause();
        }
        return c == t ? String.valueOf(t.getMessage()) : t.getMessage() + ": " + c;
    }

    public Path mountPoint()
    {
        return mountPoint;
    }

    /**
     * @return true while the mount is listed in mountinfo.
     */
    public boolean isMounted()
    {
        return MountTable.isMountPoint(mountPoint);
    }

    /**
     * Unmounts (lazily: open files keep working until closed) and waits, at most 5 s, until the mount is gone.
     */
    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try
        {
            fs.umount();
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("jnr-fuse umount of {} failed: {}", mountPoint, ex.toString());
        }
        if (!waitUntil(mountPoint, false))
        {
            lazyUnmount(mountPoint);
            if (!waitUntil(mountPoint, false))
            {
                LOG.warn("{} is still mounted 10 s after unmounting; run fusermount -u -z {}", mountPoint, mountPoint);
                return;
            }
        }
        LOG.info("unmounted {}", mountPoint);
    }
}
