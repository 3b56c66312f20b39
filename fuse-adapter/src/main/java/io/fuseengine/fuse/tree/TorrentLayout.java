package io.fuseengine.fuse.tree;

import io.fuseengine.core.meta.PieceMap;
import io.fuseengine.core.meta.TorrentDetails;
import io.fuseengine.core.meta.TorrentFile;
import io.fuseengine.core.read.StreamTarget;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The mounted shape of one torrent, built once per info hash (rqbit's details never change for an info hash):
 * either a single file shown at the root, or a directory holding the torrent's file tree. Padding files are
 * hidden, every component is sanitised ({@link NameSanitizer}) and clashes between siblings are made unique with
 * {@code " (2)"}, {@code " (3)"}... in file-index order (the entry met first keeps the plain name).
 * <p>
 * Threads: built by the catalog refresher; immutable afterwards and shared by every snapshot.
 */
public final class TorrentLayout
{
    private final String infoHash;
    private final String naturalName;
    private final long mtimeSeconds;
    private final long firstSeenMillis;
    private final FsNode top;
    private final String[] relPaths;
    private final FsNode[] nodes;
    private final long totalBytes;
    private final String torrentName;
    private final int totalPieces;
    private final long pieceLength;

    private TorrentLayout(
        final String infoHash,
        final String naturalName,
        final long firstSeenMillis,
        final FsNode top,
        final String[] relPaths,
        final FsNode[] nodes,
        final long totalBytes,
        final String torrentName,
        final int totalPieces,
        final long pieceLength)
    {
        this.torrentName = torrentName;
        this.totalPieces = totalPieces;
        this.pieceLength = pieceLength;
        this.infoHash = infoHash;
        this.naturalName = naturalName;
        this.firstSeenMillis = firstSeenMillis;
        this.mtimeSeconds = firstSeenMillis / 1000;
        this.top = top;
        this.relPaths = relPaths;
        this.nodes = nodes;
        this.totalBytes = totalBytes;
    }

    /**
     * @param details         rqbit's details of the torrent (components untrusted).
     * @param fallbackName    name from the torrent list, used when the details carry none (may be null).
     * @param firstSeenMillis when this engine first saw the info hash: every entry's mtime.
     * @param inodes          hands out stable inode numbers.
     */
    public static TorrentLayout build(
        final TorrentDetails details, final String fallbackName, final long firstSeenMillis, final InodeRegistry inodes)
    {
        final String infoHash = details.infoHash();
        final String torrentName = details.name() != null ? details.name()
            : fallbackName != null ? fallbackName : infoHash;
        final long mtime = firstSeenMillis / 1000;

        final List<TorrentFile> real = new ArrayList<>();
        for (final TorrentFile f : details.files())
        {
            if (!isPadding(f))
            {
                real.add(f);
            }
        }

        long total = 0;
        for (final TorrentFile f : real)
        {
            total += f.length();
        }

        if (real.size() == 1 && real.get(0).components().size() <= 1)
        {
            final TorrentFile f = real.get(0);
            final String raw = f.components().isEmpty() ? torrentName : f.components().get(0);
            final String name = NameSanitizer.sanitize(raw);
            final StreamTarget target = new StreamTarget(infoHash, f.index(), f.length(), name);
            final FsNode node = FsNode.file(inodes.assign(infoHash, ""), name, mtime, target);
            return new TorrentLayout(infoHash, name, firstSeenMillis, node, new String[0], new FsNode[0], total,
                printable(torrentName), details.totalPieces(), pieceLength(details));
        }

        final String dirName = NameSanitizer.sanitize(torrentName);
        final RawDir root = new RawDir();
        for (final TorrentFile f : real)
        {
            final List<String> comps = f.components().isEmpty() ? List.of(f.name() == null ? "" : f.name()) : f.components();
            RawDir dir = root;
            for (int i = 0; i < comps.size() - 1; i++)
            {
                dir = dir.subdir(comps.get(i));
            }
            dir.entries.add(new RawEntry(comps.get(comps.size() - 1), f, null));
        }

        final List<String> paths = new ArrayList<>();
        final List<FsNode> all = new ArrayList<>();
        final FsNode[] children = materialise(root, "", infoHash, dirName, mtime, inodes, paths, all);
        final FsNode top = FsNode.directory(inodes.assign(infoHash, ""), dirName, mtime, children);
        return new TorrentLayout(
            infoHash, dirName, firstSeenMillis, top, paths.toArray(new String[0]), all.toArray(new FsNode[0]), total,
            printable(torrentName), details.totalPieces(), pieceLength(details));
    }

    /**
     * Piece length is not in rqbit's JSON: the power of two that gives exactly {@code total_pieces} (rqbit 9) pieces
     * over the total length (padding included), as {@link PieceMap} derives it for piece awareness. A length that is
     * not a power of two is never guessed: the boundaries would be wrong.
     *
     * @return bytes per piece, or -1 when the piece count is unknown or no power of two fits.
     */
    static long pieceLength(final TorrentDetails details)
    {
        return PieceMap.powerOfTwoPieceLength(details.totalLength(), details.totalPieces());
    }

    /** The torrent's name with control characters replaced (it is untrusted and shown in extended attributes). */
    private static String printable(final String name)
    {
        final StringBuilder b = new StringBuilder(name.length());
        name.codePoints().forEach(cp -> b.appendCodePoint(Character.isISOControl(cp) ? '_' : cp));
        return b.toString();
    }

    /**
     * @return true for BEP 47 padding files: flagged by rqbit, or (rqbit 7 sends no attributes) named like one.
     */
    static boolean isPadding(final TorrentFile f)
    {
        if (f.padding())
        {
            return true;
        }
        final List<String> c = f.components();
        return (c.size() == 2 && ".pad".equals(c.get(0)))
            || (!c.isEmpty() && c.get(c.size() - 1).startsWith("_____padding_file_"));
    }

    private static FsNode[] materialise(
        final RawDir dir,
        final String prefix,
        final String infoHash,
        final String torrentName,
        final long mtime,
        final InodeRegistry inodes,
        final List<String> paths,
        final List<FsNode> all)
    {
        final String[] names = uniqueNames(dir.entries);
        final FsNode[] out = new FsNode[dir.entries.size()];
        for (int i = 0; i < out.length; i++)
        {
            final RawEntry e = dir.entries.get(i);
            final String rel = prefix.isEmpty() ? names[i] : prefix + '/' + names[i];
            final FsNode node;
            if (e.dir != null)
            {
                final FsNode[] kids = materialise(e.dir, rel, infoHash, torrentName, mtime, inodes, paths, all);
                node = FsNode.directory(inodes.assign(infoHash, rel), names[i], mtime, kids);
            }
            else
            {
                final StreamTarget target = new StreamTarget(
                    infoHash, e.file.index(), e.file.length(), torrentName + '/' + rel);
                node = FsNode.file(inodes.assign(infoHash, rel), names[i], mtime, target);
            }
            out[i] = node;
            paths.add(rel);
            all.add(node);
        }
        return out;
    }

    /**
     * Sanitises the names of one directory's entries and makes them unique: every entry whose sanitised name is
     * not yet taken keeps it (in order); the others get the first free {@code " (n)"} variant.
     */
    static String[] uniqueNames(final List<RawEntry> entries)
    {
        final String[] names = new String[entries.size()];
        final Set<String> taken = new HashSet<>();
        final List<Integer> clashing = new ArrayList<>();
        for (int i = 0; i < names.length; i++)
        {
            final String natural = NameSanitizer.sanitize(entries.get(i).rawName);
            if (taken.add(natural))
            {
                names[i] = natural;
            }
            else
            {
                names[i] = natural;
                clashing.add(i);
            }
        }
        for (final int i : clashing)
        {
            final boolean isFile = entries.get(i).dir == null;
            int n = 2;
            String candidate;
            do
            {
                candidate = NameSanitizer.withSuffix(names[i], n++, isFile);
            }
            while (!taken.add(candidate));
            names[i] = candidate;
        }
        return names;
    }

    public String infoHash()
    {
        return infoHash;
    }

    /**
     * @return the sanitised name this torrent asks for at the root (before root-level clashes are resolved).
     */
    public String naturalName()
    {
        return naturalName;
    }

    public long mtimeSeconds()
    {
        return mtimeSeconds;
    }

    public long firstSeenMillis()
    {
        return firstSeenMillis;
    }

    /**
     * @return the torrent's root entry under its natural name.
     */
    public FsNode top()
    {
        return top;
    }

    /**
     * @return true if the torrent is shown as one file at the root.
     */
    public boolean singleFile()
    {
        return !top.isDirectory();
    }

    /**
     * @return number of entries below the top entry.
     */
    public int descendantCount()
    {
        return nodes.length;
    }

    /**
     * @return path (relative to the top entry) of descendant {@code i}.
     */
    public String relPath(final int i)
    {
        return relPaths[i];
    }

    public FsNode descendant(final int i)
    {
        return nodes[i];
    }

    /**
     * @return bytes of the torrent's real files (padding excluded).
     */
    public long totalBytes()
    {
        return totalBytes;
    }

    /**
     * @return the torrent's own name (rqbit's, else the list's, else the info hash), control characters replaced.
     */
    public String torrentName()
    {
        return torrentName;
    }

    /**
     * @return the torrent's piece count (rqbit 9), or -1 when unknown.
     */
    public int totalPieces()
    {
        return totalPieces;
    }

    /**
     * @return bytes per piece as derived by {@link #pieceLength(TorrentDetails)}, or -1 when unknown.
     */
    public long pieceLength()
    {
        return pieceLength;
    }

    /** A directory being assembled: its entries in order of first appearance (file-index order). */
    static final class RawDir
    {
        final List<RawEntry> entries = new ArrayList<>();
        final Map<String, RawDir> dirs = new LinkedHashMap<>();

        RawDir subdir(final String rawName)
        {
            RawDir d = dirs.get(rawName);
            if (d == null)
            {
                d = new RawDir();
                dirs.put(rawName, d);
                entries.add(new RawEntry(rawName, null, d));
            }
            return d;
        }
    }

    /** A file (file != null) or a directory (dir != null) with its raw, untrusted name. */
    record RawEntry(String rawName, TorrentFile file, RawDir dir)
    {
    }
}
