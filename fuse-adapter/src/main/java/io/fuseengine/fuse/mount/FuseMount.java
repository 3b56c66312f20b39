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
 * Options: {@code ro,fsname=fuse-engine,subtype=fuse-engine,default_permissions,max_read=1048576,use_ino,
 * entry_timeout=60,attr_timeout=60,negative_timeout=5}, plus {@code allow_other} when configured and the configured
 * extra options (appended last, so they override ours: {@code -o max_read=131072} keeps libfuse 2's 128 KiB reads).
 * {@code max_read} above 128 KiB makes the session loop negotiate that many bytes per read with the kernel
 * ({@link InitReplyMaxPages}); the kernel's buffered reads reach that size when the mount's read-ahead is larger
 * (see {@link KernelReadAhead}). {@code ro} only when {@code allow-remove} is off: the
 * kernel refuses {@code rmdir}/{@code unlink} on a read-only mount before asking the filesystem, so with removal
 * allowed the filesystem itself answers EROFS to every other write-like operation. {@code use_ino} makes the kernel report the catalog's stable
 * inode numbers instead of libfuse's own counters. No {@code direct_io}: reads go through the page cache.
 *
 * <h2>Caching torrent data in the kernel</h2>
 * The bytes of a file (info hash, file index) never change, so the kernel may keep them:
 * <ul>
 *   <li><b>Page cache across opens</b>: {@link io.fuseengine.fuse.fs.TorrentFileSystem#open} sets
 *   {@code keep_cache} itself, on every open <em>except</em> the first open of a path after the path was bound to a
 *   different file (a torrent removed and its name taken over by another one's {@code " (2)"} sibling). That open
 *   drops the kernel's pages of the old file. The {@code kernel_cache} mount option would set {@code keep_cache}
 *   unconditionally and serve the old file's pages under the new binding (same libfuse node, same size: wrong
 *   bytes), so it is deliberately not among the defaults (a user may still add it with {@code -o}).</li>
 *   <li><b>entry_timeout = attr_timeout = 60 s</b>: the libfuse 2 high-level API has one entry timeout for every
 *   node, so directories cannot get a shorter one than files. A forgotten torrent still vanishes at once from
 *   {@code readdir} (never cached by libfuse 2) and from {@code open} (resolved against the current tree on every
 *   call); only a {@code stat} of a path the kernel looked up in the last minute can still succeed, for at most
 *   60 s. In exchange a library rescan within a minute costs no lookup callbacks (each costs ~30–300 µs through
 *   jffi). Longer (3600 s) would keep a removed torrent stat-able, and a rebound path's old size, for an hour.</li>
 *   <li><b>negative_timeout = 5 s</b>: a scanner probing absent names (sidecar subtitles, artwork) asks once per
 *   5 s instead of on every probe; a new torrent is listed by {@code readdir} at the refresh that finds it, and a
 *   {@code stat} of its path made just before it appeared answers ENOENT for at most 5 s more.</li>
 * </ul>
 * After mounting, as root, the mount's kernel read-ahead is raised to {@link KernelReadAhead#DEFAULT_KB}, or to N
 * with {@code -o x-fuse-engine.read-ahead-kb=N} (CLI {@code --raise-read-ahead-kb N}; 0 leaves the kernel's 128 KiB)
 * ({@link KernelReadAhead}): without it the kernel's buffered reads stay at 128 KiB whatever {@code max_read} allows.
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
    /** Kernel dentry cache lifetime (see the class comment for the choice). */
    public static final int ENTRY_TIMEOUT_SECONDS = 60;
    /** Kernel attribute cache lifetime: as long as the entry's, a rebound path's size is stale no longer. */
    public static final int ATTR_TIMEOUT_SECONDS = 60;
    /** Kernel cache lifetime of "no such name". */
    public static final int NEGATIVE_TIMEOUT_SECONDS = 5;
    /**
     * Largest read the kernel may send in one request ({@code max_read}): 1 MiB, the kernel's default
     * {@code max_pages_limit}, negotiated by {@link InitReplyMaxPages} (libfuse 2 alone stops at 128 KiB).
     */
    public static final int MAX_READ_BYTES = FuseProtocol.KERNEL_MAX_PAGES * 4096;
    /**
     * Our own mount option (the {@code x-} prefix marks options meant for userspace, as in fstab): as root, set the
     * mount's kernel {@code read_ahead_kb} to the value after mounting ({@link KernelReadAhead}). Never passed to
     * libfuse, which would refuse it. The last one given wins; 0 leaves the kernel's default; without the option,
     * {@link KernelReadAhead#DEFAULT_KB}.
     */
    public static final String READ_AHEAD_KB_OPTION = "x-fuse-engine.read-ahead-kb";

    private final AbstractFuseFS fs;
    private final Path mountPoint;
    private boolean closed;

    private FuseMount(final AbstractFuseFS fs, final Path mountPoint)
    {
        this.fs = fs;
        this.mountPoint = mountPoint;
    }

    /**
     * Mounts {@code fs} at {@code mountPoint}; returns once the mount is live (a {@code TorrentFileSystem} once the
     * kernel's INIT is answered, see {@link FuseSessionLoop}; jnr-fuse's own mount waits 2 s for an early failure).
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

        final int readAheadOption = readAheadOption(config);
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
        LOG.info("mounted {} read-only{} (-o {})", path,
            config.allowRemove() ? ", torrents removable with rmdir/unlink" : "", options);
        KernelReadAhead.raise(path, readAheadOption < 0 ? KernelReadAhead.DEFAULT_KB : readAheadOption, readAheadOption >= 0);
        return mount;
    }

    /**
     * @return the mount options, in order.
     */
    public static List<String> options(final EngineConfig config)
    {
        final List<String> o = new ArrayList<>();
        if (!config.allowRemove())
        {
            o.add("ro");
        }
        o.addAll(List.of(
            "fsname=" + FS_NAME, "subtype=" + FS_NAME, "default_permissions", "max_read=" + MAX_READ_BYTES, "use_ino",
            "entry_timeout=" + ENTRY_TIMEOUT_SECONDS, "attr_timeout=" + ATTR_TIMEOUT_SECONDS,
            "negative_timeout=" + NEGATIVE_TIMEOUT_SECONDS));
        if (config.allowOther())
        {
            o.add("allow_other");
        }
        for (final String extra : config.fuseOptions())
        {
            if (!o.contains(extra) && !extra.startsWith(READ_AHEAD_KB_OPTION + "="))
            {
                o.add(extra);
            }
        }
        return o;
    }

    /**
     * @return the value of the last {@link #READ_AHEAD_KB_OPTION} among the configured options (0: leave the kernel's),
     *         {@link KernelReadAhead#DEFAULT_KB} if none.
     * @throws MountException if it is not a number in [0, {@link KernelReadAhead#MAX_KB}].
     */
    public static int readAheadKb(final EngineConfig config)
    {
        final int kb = readAheadOption(config);
        return kb < 0 ? KernelReadAhead.DEFAULT_KB : kb;
    }

    /**
     * @return the value of the last {@link #READ_AHEAD_KB_OPTION} among the configured options, -1 if none.
     * @throws MountException if it is not a number in [0, {@link KernelReadAhead#MAX_KB}].
     */
    private static int readAheadOption(final EngineConfig config)
    {
        int kb = -1;
        for (final String extra : config.fuseOptions())
        {
            if (extra.startsWith(READ_AHEAD_KB_OPTION + "="))
            {
                final String v = extra.substring(READ_AHEAD_KB_OPTION.length() + 1).trim();
                try
                {
                    kb = Integer.parseInt(v);
                }
                catch (final NumberFormatException ex)
                {
                    kb = -1;
                }
                if (kb < 0 || kb > KernelReadAhead.MAX_KB)
                {
                    throw new MountException(READ_AHEAD_KB_OPTION + " must be a number of KiB in [0, "
                        + KernelReadAhead.MAX_KB + "]: " + v);
                }
            }
        }
        return kb;
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
