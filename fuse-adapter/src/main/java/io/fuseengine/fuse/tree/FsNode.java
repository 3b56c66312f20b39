package io.fuseengine.fuse.tree;

import io.fuseengine.core.cache.CacheFileIdentity;
import io.fuseengine.core.read.StreamTarget;
import io.fuseengine.core.readahead.StreamingReader;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One immutable entry of the mounted tree: a directory or a read-only file. File nodes carry the pre-built
 * {@link StreamTarget} every read of that file uses, its chunk-cache identity (built once here, so {@code open}
 * never parses the info hash) and whether its name is a media file's (probe prefetch of head and tail).
 * <p>
 * Threads: immutable; shared by any number of FUSE threads and successive {@link FsTree} snapshots.
 */
public final class FsNode
{
    /** Permission bits of directories. */
    public static final int DIR_PERMISSIONS = 0555;
    /** Permission bits of files. */
    public static final int FILE_PERMISSIONS = 0444;
    /** Apparent size of a directory. */
    public static final long DIR_SIZE = 4096;

    private static final FsNode[] NO_CHILDREN = new FsNode[0];

    private final long inode;
    private final String name;
    private final byte[] nameZ;
    private final boolean directory;
    private final long size;
    private final long mtimeSeconds;
    private final int nlink;
    private final FsNode[] children;
    private final StreamTarget target;
    private final CacheFileIdentity cacheIdentity;
    private final boolean media;

    private FsNode(
        final long inode,
        final String name,
        final boolean directory,
        final long size,
        final long mtimeSeconds,
        final int nlink,
        final FsNode[] children,
        final StreamTarget target,
        final CacheFileIdentity cacheIdentity,
        final boolean media)
    {
        this.inode = inode;
        this.name = Objects.requireNonNull(name, "name");
        final byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        this.nameZ = new byte[utf8.length + 1];
        System.arraycopy(utf8, 0, nameZ, 0, utf8.length);
        this.directory = directory;
        this.size = size;
        this.mtimeSeconds = mtimeSeconds;
        this.nlink = nlink;
        this.children = children;
        this.target = target;
        this.cacheIdentity = cacheIdentity;
        this.media = media;
    }

    /**
     * @param children entries of the directory (the array is kept, not copied: do not modify it afterwards).
     */
    public static FsNode directory(final long inode, final String name, final long mtimeSeconds, final FsNode[] children)
    {
        int subdirs = 0;
        for (final FsNode c : children)
        {
            if (c.directory)
            {
                subdirs++;
            }
        }
        return new FsNode(inode, name, true, DIR_SIZE, mtimeSeconds, 2 + subdirs, children, null, null, false);
    }

    public static FsNode file(final long inode, final String name, final long mtimeSeconds, final StreamTarget target)
    {
        Objects.requireNonNull(target, "target");
        return new FsNode(inode, name, false, target.length(), mtimeSeconds, 1, NO_CHILDREN, target,
            CacheFileIdentity.of(target), StreamingReader.isMediaName(name));
    }

    /**
     * @return the same node under another name (children and target shared).
     */
    public FsNode renamed(final String newName)
    {
        return newName.equals(name) ? this : new FsNode(inode, newName, directory, size, mtimeSeconds, nlink, children, target,
            cacheIdentity, media);
    }

    public long inode()
    {
        return inode;
    }

    public String name()
    {
        return name;
    }

    /**
     * @return the name's UTF-8 bytes followed by a NUL (for {@code fuse_fill_dir_t}); do not modify.
     */
    public byte[] nameZ()
    {
        return nameZ;
    }

    public boolean isDirectory()
    {
        return directory;
    }

    public long size()
    {
        return size;
    }

    /**
     * @return 512-byte blocks ({@code st_blocks}).
     */
    public long blocks()
    {
        return (size + 511) / 512;
    }

    public long mtimeSeconds()
    {
        return mtimeSeconds;
    }

    public int nlink()
    {
        return nlink;
    }

    /**
     * @return entries of a directory (empty for a file); do not modify.
     */
    public FsNode[] children()
    {
        return children;
    }

    /**
     * @return the stream of a file, null for a directory.
     */
    public StreamTarget target()
    {
        return target;
    }

    /**
     * @return the chunk-cache identity of a file (the same instance for the node's lifetime), null for a directory.
     */
    public CacheFileIdentity cacheIdentity()
    {
        return cacheIdentity;
    }

    /**
     * @return true for a file whose name is a media container's or audio file's ({@link StreamingReader#isMediaName}).
     */
    public boolean isMedia()
    {
        return media;
    }

    @Override
    public String toString()
    {
        return (directory ? "dir " : "file ") + name + " #" + inode;
    }
}
