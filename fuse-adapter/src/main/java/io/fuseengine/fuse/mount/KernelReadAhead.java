package io.fuseengine.fuse.mount;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Raises the kernel's read-ahead of a FUSE mount: {@code /sys/class/bdi/<major:minor>/read_ahead_kb}, where
 * {@code major:minor} is the mount's device from {@code /proc/self/mountinfo}. The kernel's buffered reads of a FUSE
 * file are at most the read-ahead window: at the kernel's 128 KiB every read is one 128 KiB request, whatever
 * {@code max_read} the mount negotiated ({@link InitReplyMaxPages}). At {@link #DEFAULT_KB} a sequential reader gets
 * 1 MiB requests, several in flight: cold sequential reads through the engine 1.29–1.54× faster than with 128 KiB
 * requests and the kernel's read-ahead (perf-reports/mount/20261207T005215Z, 20261207T020735Z).
 * <p>
 * Needs root (sysfs is root-writable only). Every failure is soft: one log line and the mount keeps the kernel's
 * default. Threads: stateless; called once, by the thread that mounts.
 */
public final class KernelReadAhead
{
    private static final Logger LOG = LoggerFactory.getLogger(KernelReadAhead.class);
    /** Where the kernel lists its backing devices. */
    public static final Path BDI_ROOT = Path.of("/sys/class/bdi");
    /** Read-ahead set as root unless configured: 4 MiB, room for four 1 MiB FUSE reads in flight. */
    public static final int DEFAULT_KB = 4096;
    /** Upper bound accepted for the setting (1 GiB of read-ahead is already absurd). */
    public static final int MAX_KB = 1 << 20;

    private KernelReadAhead()
    {
    }

    /**
     * Raises the read-ahead of the mount at {@code mountPoint} to {@code kb} KiB, if {@code kb > 0} and the process
     * runs as root. Logs the old and the new value (INFO), or why it did not (WARN).
     *
     * @return true if the value was written.
     */
    public static boolean raise(final Path mountPoint, final int kb)
    {
        return raise(mountPoint, kb, true);
    }

    /**
     * As {@link #raise(Path, int)}; {@code requested} false for the default, which nobody asked for: without root,
     * one INFO line saying what that costs instead of a WARN.
     *
     * @return true if the value was written.
     */
    public static boolean raise(final Path mountPoint, final int kb, final boolean requested)
    {
        if (kb <= 0)
        {
            return false;
        }
        final MountTable.Entry entry = MountTable.find(mountPoint);
        if (!isRoot())
        {
            // the mount's bdi file is root's to write; an administrator (or a udev rule) can do what we cannot
            final String byHand = entry == null || entry.device().isEmpty() ? ""
                : " (by hand: echo " + kb + " > " + BDI_ROOT.resolve(entry.device()).resolve("read_ahead_kb") + ")";
            if (requested)
            {
                LOG.warn("read_ahead_kb of {} left alone: raising it to {} needs root{}", mountPoint, kb, byHand);
            }
            else
            {
                LOG.info("read_ahead_kb of {} left at the kernel's default (not root): the kernel reads 128 KiB at a "
                    + "time; as root the mount would get {} KiB and 1 MiB reads{}", mountPoint, kb, byHand);
            }
            return false;
        }
        if (entry == null || entry.device().isEmpty())
        {
            LOG.warn("read_ahead_kb of {} left alone: the mount is not in /proc/self/mountinfo", mountPoint);
            return false;
        }
        return raise(BDI_ROOT, entry.device(), kb) >= 0;
    }

    /**
     * Writes {@code kb} to {@code <bdiRoot>/<device>/read_ahead_kb} (bdiRoot is a parameter for tests).
     *
     * @return the previous value, or -1 if it could not be changed (WARN logged).
     */
    static long raise(final Path bdiRoot, final String device, final int kb)
    {
        if (kb <= 0 || kb > MAX_KB || device.indexOf('/') >= 0 || device.startsWith("."))
        {
            LOG.warn("read_ahead_kb of device {} left alone: invalid request {} KiB", device, kb);
            return -1;
        }
        final Path file = bdiRoot.resolve(device).resolve("read_ahead_kb");
        try
        {
            final long old = Long.parseLong(Files.readString(file, StandardCharsets.US_ASCII).trim());
            Files.writeString(file, kb + "\n", StandardCharsets.US_ASCII);
            final String now = Files.readString(file, StandardCharsets.US_ASCII).trim();
            LOG.info("read_ahead_kb of bdi {} raised from {} to {} KiB", device, old, now);
            return old;
        }
        catch (final IOException | RuntimeException ex)
        {
            LOG.warn("read_ahead_kb of bdi {} left alone: cannot write {} to {}: {}", device, kb, file, ex.toString());
            return -1;
        }
    }

    private static boolean isRoot()
    {
        try
        {
            return ((Number)Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue() == 0;
        }
        catch (final IOException | RuntimeException ex)
        {
            return false;
        }
    }
}
