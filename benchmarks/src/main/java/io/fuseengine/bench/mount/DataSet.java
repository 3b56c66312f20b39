package io.fuseengine.bench.mount;

import io.fuseengine.sim.ContentGenerator;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * The file set of the through-the-mount benchmark, described by a spec string
 * {@code big=SIZE,warm=SIZE,par=COUNTxSIZE,media=COUNTxSIZE} (sizes in bytes; K/M/G suffixes accepted, binary; any part may
 * be left out or have count 0). Files and their bytes are a pure function of the spec:
 * <ul>
 *   <li>{@code big.bin} (one file: a single-file torrent, shown at the mount root by fuse-engine),</li>
 *   <li>{@code warm.bin} (one file, read before each measurement to warm the file system's process up; never measured),</li>
 *   <li>{@code par/p00.bin} ... (a multi-file torrent {@code par}),</li>
 *   <li>{@code media/m000.mkv} ... (a multi-file torrent {@code media}).</li>
 * </ul>
 * Byte {@code i} of a file is {@link ContentGenerator#byteAt(long, long)} with the seed {@link #seed(String)} of its
 * relative path, so the files written to disk (served by rqbit-sim, nginx, bindfs) and {@link MemoryFs} agree.
 * <p>
 * {@code java -cp benchmarks.jar io.fuseengine.bench.mount.DataSet generate <dir> <spec> <sha256sums-file>} writes
 * the files (skipping those already present with the right size and a matching manifest line) and a
 * {@code sha256sum}-compatible manifest (paths relative to {@code dir}); {@code list <spec>} prints
 * {@code path<TAB>size<TAB>seed}.
 */
public final class DataSet
{
    /** One file of the set. */
    public record Entry(String path, long size, long seed)
    {
    }

    private DataSet()
    {
    }

    public static List<Entry> parse(final String spec)
    {
        final List<Entry> out = new ArrayList<>();
        for (final String rawPart : spec.split(","))
        {
            final String part = rawPart.trim();
            if (part.isEmpty())
            {
                continue;
            }
            final int eq = part.indexOf('=');
            if (eq < 0)
            {
                throw new IllegalArgumentException("spec part without '=': " + part);
            }
            final String key = part.substring(0, eq).trim();
            final String value = part.substring(eq + 1).trim();
            switch (key)
            {
                case "big":
                {
                    final long size = size(value);
                    if (size > 0)
                    {
                        out.add(entry("big.bin", size));
                    }
                    break;
                }
                case "warm":
                {
                    final long size = size(value);
                    if (size > 0)
                    {
                        out.add(entry("warm.bin", size));
                    }
                    break;
                }
                case "par":
                {
                    final long[] cs = countSize(value);
                    for (int i = 0; i < cs[0]; i++)
                    {
                        out.add(entry(String.format(Locale.ROOT, "par/p%02d.bin", i), cs[1]));
                    }
                    break;
                }
                case "media":
                {
                    final long[] cs = countSize(value);
                    for (int i = 0; i < cs[0]; i++)
                    {
                        out.add(entry(String.format(Locale.ROOT, "media/m%03d.mkv", i), cs[1]));
                    }
                    break;
                }
                default:
                    throw new IllegalArgumentException("unknown spec key " + key + " (big, warm, par, media)");
            }
        }
        if (out.isEmpty())
        {
            throw new IllegalArgumentException("empty spec: " + spec);
        }
        return out;
    }

    private static Entry entry(final String path, final long size)
    {
        if (size <= 0)
        {
            throw new IllegalArgumentException("size of " + path + " must be > 0");
        }
        return new Entry(path, size, seed(path));
    }

    /** FNV-1a 64 of the UTF-8 relative path: the content seed of that file. */
    public static long seed(final String relPath)
    {
        long h = 0xcbf29ce484222325L;
        for (final byte b : relPath.getBytes(StandardCharsets.UTF_8))
        {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }

    private static long[] countSize(final String value)
    {
        final int x = value.indexOf('x');
        if (x < 0)
        {
            throw new IllegalArgumentException("expected COUNTxSIZE, got " + value);
        }
        final long count = Long.parseLong(value.substring(0, x).trim());
        if (count < 0 || count > 100_000)
        {
            throw new IllegalArgumentException("count out of range: " + value);
        }
        return new long[] {count, count == 0 ? 1 : size(value.substring(x + 1))};
    }

    static long size(final String v)
    {
        final String s = v.trim().toUpperCase(Locale.ROOT);
        long mul = 1;
        String digits = s;
        if (s.endsWith("K") || s.endsWith("M") || s.endsWith("G"))
        {
            mul = s.endsWith("K") ? 1L << 10 : s.endsWith("M") ? 1L << 20 : 1L << 30;
            digits = s.substring(0, s.length() - 1);
        }
        return Long.parseLong(digits) * mul;
    }

    public static void main(final String[] args) throws Exception
    {
        if (args.length == 2 && args[0].equals("list"))
        {
            for (final Entry e : parse(args[1]))
            {
                System.out.println(e.path() + "\t" + e.size() + "\t" + e.seed());
            }
            return;
        }
        if (args.length == 3 && args[0].equals("expect"))
        {
            expect(parse(args[1]), Integer.parseInt(args[2]));
            return;
        }
        if (args.length == 4 && args[0].equals("generate"))
        {
            generate(Path.of(args[1]), parse(args[2]), Path.of(args[3]));
            return;
        }
        System.err.println("usage: DataSet list <spec> | generate <dir> <spec> <sha256sums-file> | expect <spec> <chunk>");
        System.exit(2);
    }

    private static void generate(final Path dir, final List<Entry> entries, final Path manifest) throws IOException
    {
        final List<String> old = Files.exists(manifest) ? Files.readAllLines(manifest) : List.of();
        final List<String> lines = new ArrayList<>();
        final byte[] buf = new byte[1 << 20];
        for (final Entry e : entries)
        {
            final Path p = dir.resolve(e.path());
            Files.createDirectories(p.getParent());
            final String known = findLine(old, e.path());
            if (known != null && Files.isRegularFile(p) && Files.size(p) == e.size() && endsMatch(p, e))
            {
                lines.add(known);
                continue;
            }
            final MessageDigest md = sha256();
            final Path tmp = p.resolveSibling(p.getFileName() + ".tmp");
            try (OutputStream out = Files.newOutputStream(tmp))
            {
                long pos = 0;
                while (pos < e.size())
                {
                    final int n = (int)Math.min(buf.length, e.size() - pos);
                    ContentGenerator.fill(e.seed(), pos, buf, 0, n);
                    md.update(buf, 0, n);
                    out.write(buf, 0, n);
                    pos += n;
                }
            }
            Files.move(tmp, p, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            lines.add(HexFormat.of().formatHex(md.digest()) + "  " + e.path());
            System.err.println("generated " + p + " (" + e.size() + " bytes)");
        }
        removeOthers(dir, entries);
        try (PrintStream ps = new PrintStream(Files.newOutputStream(manifest), false, StandardCharsets.UTF_8))
        {
            lines.forEach(ps::println);
        }
    }

    /**
     * Prints {@code path<TAB>size<TAB>first byte (hex)<TAB>sha256 of the first chunk<TAB>sha256 of the last chunk} for
     * every file, from the generator (never from the files on disk).
     */
    private static void expect(final List<Entry> entries, final int chunk)
    {
        for (final Entry e : entries)
        {
            final int n = (int)Math.min(chunk, e.size());
            final byte[] head = new byte[n];
            final byte[] tail = new byte[n];
            ContentGenerator.fill(e.seed(), 0, head, 0, n);
            ContentGenerator.fill(e.seed(), e.size() - n, tail, 0, n);
            final MessageDigest h = sha256();
            final String hs = HexFormat.of().formatHex(h.digest(head));
            final String ts = HexFormat.of().formatHex(h.digest(tail));
            System.out.println(e.path() + "\t" + e.size() + "\t" + HexFormat.of().toHexDigits(head[0]) + "\t" + hs + "\t" + ts);
        }
    }

    /** Cheap check of a file kept from an earlier run: its first and last 64 KiB are the generated bytes. */
    private static boolean endsMatch(final Path p, final Entry e) throws IOException
    {
        final int n = (int)Math.min(65536, e.size());
        final byte[] want = new byte[n];
        final byte[] got = new byte[n];
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(p))
        {
            for (final long pos : new long[] {0, e.size() - n})
            {
                final java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(got);
                while (bb.hasRemaining())
                {
                    if (ch.read(bb, pos + bb.position()) < 0)
                    {
                        return false;
                    }
                }
                ContentGenerator.fill(e.seed(), pos, want, 0, n);
                if (!java.util.Arrays.equals(want, got))
                {
                    System.err.println(p + " differs from the generated bytes near offset " + pos + ": regenerating");
                    return false;
                }
            }
        }
        return true;
    }

    /** Deletes regular files under {@code dir} that are not in the set (left by a run with another spec). */
    private static void removeOthers(final Path dir, final List<Entry> entries) throws IOException
    {
        final java.util.Set<Path> keep = new java.util.HashSet<>();
        for (final Entry e : entries)
        {
            keep.add(dir.resolve(e.path()).normalize());
        }
        final List<Path> extra;
        try (java.util.stream.Stream<Path> walk = Files.walk(dir))
        {
            extra = walk.filter(Files::isRegularFile).map(Path::normalize).filter(p -> !keep.contains(p)).toList();
        }
        for (final Path p : extra)
        {
            System.err.println("removing " + p + " (not in the spec)");
            Files.delete(p);
        }
    }

    private static String findLine(final List<String> lines, final String path)
    {
        for (final String l : lines)
        {
            if (l.endsWith("  " + path) && l.length() == 64 + 2 + path.length())
            {
                return l;
            }
        }
        return null;
    }

    private static MessageDigest sha256()
    {
        try
        {
            return MessageDigest.getInstance("SHA-256");
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
