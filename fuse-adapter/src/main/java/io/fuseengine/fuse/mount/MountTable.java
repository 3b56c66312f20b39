package io.fuseengine.fuse.mount;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads {@code /proc/self/mountinfo}: which paths are mount points, and with which filesystem type.
 * <p>
 * Threads: stateless, any thread.
 */
public final class MountTable
{
    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

    private MountTable()
    {
    }

    /**
     * One line of mountinfo.
     *
     * @param mountPoint absolute path, octal escapes decoded.
     * @param fsType     e.g. {@code fuse.fuse-engine}.
     * @param source     e.g. {@code fuse-engine}.
     * @param device     the mount's device number as {@code major:minor} (e.g. {@code 0:52}), the name of its
     *                   {@code /sys/class/bdi} entry; empty if unknown.
     */
    public record Entry(String mountPoint, String fsType, String source, String device)
    {
        public Entry(final String mountPoint, final String fsType, final String source)
        {
            this(mountPoint, fsType, source, "");
        }
    }

    /**
     * @return the mount entries, or an empty list if mountinfo cannot be read.
     */
    public static List<Entry> entries()
    {
        try
        {
            return parse(Files.readAllLines(MOUNTINFO, StandardCharsets.UTF_8));
        }
        catch (final IOException ex)
        {
            return List.of();
        }
    }

    /**
     * @return the (last, i.e. topmost) entry mounted exactly at {@code path}, or null.
     */
    public static Entry find(final Path path)
    {
        final String p = path.toAbsolutePath().normalize().toString();
        Entry found = null;
        for (final Entry e : entries())
        {
            if (e.mountPoint().equals(p))
            {
                found = e;
            }
        }
        return found;
    }

    /**
     * @return true if something is mounted at {@code path}.
     */
    public static boolean isMountPoint(final Path path)
    {
        return find(path) != null;
    }

    static List<Entry> parse(final List<String> lines)
    {
        final List<Entry> out = new ArrayList<>();
        for (final String line : lines)
        {
            // id parent major:minor root mountpoint options [optional fields...] - fstype source superoptions
            final String[] f = line.split(" ");
            if (f.length < 10)
            {
                continue;
            }
            int dash = -1;
            for (int i = 6; i < f.length; i++)
            {
                if (f[i].equals("-"))
                {
                    dash = i;
                    break;
                }
            }
            if (dash < 0 || dash + 2 >= f.length)
            {
                continue;
            }
            out.add(new Entry(unescape(f[4]), unescape(f[dash + 1]), unescape(f[dash + 2]), f[2]));
        }
        return out;
    }

    /**
     * Decodes the octal escapes the kernel writes for space, tab, newline and backslash ({@code \040} ...).
     */
    static String unescape(final String s)
    {
        if (s.indexOf('\\') < 0)
        {
            return s;
        }
        final byte[] raw = s.getBytes(StandardCharsets.UTF_8);
        final byte[] out = new byte[raw.length];
        int n = 0;
        for (int i = 0; i < raw.length; i++)
        {
            if (raw[i] == '\\' && i + 3 < raw.length && isOctal(raw[i + 1]) && isOctal(raw[i + 2]) && isOctal(raw[i + 3]))
            {
                out[n++] = (byte)(((raw[i + 1] - '0') << 6) | ((raw[i + 2] - '0') << 3) | (raw[i + 3] - '0'));
                i += 3;
            }
            else
            {
                out[n++] = raw[i];
            }
        }
        return new String(out, 0, n, StandardCharsets.UTF_8);
    }

    private static boolean isOctal(final byte b)
    {
        return b >= '0' && b <= '7';
    }
}
