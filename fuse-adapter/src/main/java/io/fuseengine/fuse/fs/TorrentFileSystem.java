package io.fuseengine.fuse.fs;

import io.fuseengine.core.cache.CacheFileIdentity;
import io.fuseengine.core.errno.Errno;
import io.fuseengine.core.meta.TorrentProgress;
import io.fuseengine.core.read.ReadPipeline;
import io.fuseengine.core.read.ReadSink;
import io.fuseengine.core.read.SlotLayout;
import io.fuseengine.core.read.StreamTarget;
import io.fuseengine.core.readahead.OpenStream;
import io.fuseengine.core.readahead.StreamingReader;
import io.fuseengine.fuse.mount.FuseReadReply;
import io.fuseengine.fuse.mount.FuseSessionLoop;
import io.fuseengine.fuse.tree.FsNode;
import io.fuseengine.fuse.tree.FsTree;
import io.fuseengine.fuse.tree.NameSanitizer;
import io.fuseengine.fuse.tree.TorrentLayout;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import jnr.ffi.types.dev_t;
import jnr.ffi.types.gid_t;
import jnr.ffi.types.mode_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.uid_t;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

/**
 * The read-only FUSE filesystem: answers metadata callbacks from the current {@link FsTree} snapshot (never from
 * the network) and reads through the {@link StreamingReader} (chunk cache and read-ahead in front of the
 * {@link ReadPipeline}) or, when built without one, straight through the pipeline. Either way bytes land in FUSE's
 * reply buffer: copied from the cache, or written by the transport. Every write-like operation answers EROFS, with
 * one deliberate exception, removal (below).
 *
 * <h2>Progress and extended attributes</h2>
 * {@code st_size} is a file's full length; {@code st_blocks} is the bytes rqbit has downloaded of it (its
 * {@code file_progress}, in 512-byte blocks rounded up), so {@code du} shows progress (the full length while the
 * progress is unknown). Torrent entries carry read-only extended attributes ({@link TorrentXattrs}); both come from
 * the {@link TorrentControl}'s snapshot, refreshed by the catalog thread, never from the network.
 *
 * <h2>Removal</h2>
 * With removal allowed ({@link #torrentControl}), {@code rmdir} of a torrent's top-level directory or {@code unlink}
 * of a single-file torrent at the root makes rqbit forget the torrent (its files stay on disk): the one callback that
 * waits on the network, bounded by the metadata timeout. Its tree leaves the snapshot at once, so reads of it answer
 * ENOENT from then on. Anything below a torrent answers EROFS, {@code rmdir} of the root EBUSY. With removal not
 * allowed those answer EROFS too.
 *
 * <h2>A read</h2>
 * In this order: the handle resolves (else EBADF); EOF answers 0; a torrent that left the current snapshot answers
 * ENOENT; a range that failed through this handle less than {@link #FAILURE_MEMO_NS} ago answers the same errno
 * again (the kernel's immediate one-page retry of a failed readahead); then the reader (a cache hit is a copy: no
 * ring, no transport) or the pipeline. A failure is logged (one WARN line) and remembered for the memo.
 *
 * <h2>Open and the page cache</h2>
 * {@link #open} sets {@code keep_cache} (the kernel keeps the file's pages across opens: torrent data never changes)
 * unless the path was last opened bound to a different file (see {@link io.fuseengine.fuse.mount.FuseMount}); it
 * never sets {@code direct_io}. jnr-fuse 0.5.8 mis-maps the {@code fuse_file_info} bitfields, so the bit is written
 * into the raw int at {@link #FILE_INFO_BITS_OFFSET}.
 * <p>
 * Threads: every callback runs on a FUSE worker thread ({@link FuseSessionLoop}'s {@code fuse-N}, many at once,
 * unbounded); callbacks are lock-free except for the reader's short per-stream monitor, never throw (a failure is
 * logged once and answered with EIO), and only reads wait, with the pipeline's deadline. A read allocates nothing of
 * its own on success, and none of jnr-fuse's per-call objects either: on a mount the session loop answers reads
 * through {@link #readReply} (a hit inside one chunk is written to the kernel straight from the cache), and the
 * operations struct's {@code read} entry, left for a request libfuse must process itself, is {@link #readRaw}
 * ({@link RawReadCallback}: raw addresses, no {@code FuseFileInfo} struct, no path string).
 */
public final class TorrentFileSystem extends LeanFuseFs
{
    private static final Logger LOG = LoggerFactory.getLogger(TorrentFileSystem.class);

    /** st_blksize and statfs block size: the largest read libfuse 2 hands us. */
    public static final int BLOCK_SIZE = 128 * 1024;
    /**
     * How long a failed read is remembered. The kernel retries a failed readahead at once with a one-page read of
     * the same offset; answering that retry with the same error, instead of asking the backend again, keeps a
     * stalled read within one read timeout instead of two.
     */
    static final long FAILURE_MEMO_NS = TimeUnit.SECONDS.toNanos(1);
    /** Default capacity of the open-file table. */
    public static final int DEFAULT_MAX_OPEN_FILES = 1 << 16;
    /**
     * Byte offset of the bitfield int of libfuse 2.9's {@code struct fuse_file_info} on x86_64 (after
     * {@code int flags}, {@code unsigned long fh_old}, {@code int writepage}); {@code fh} follows at 24.
     */
    public static final int FILE_INFO_BITS_OFFSET = 20;
    /** Bit 0 of the bitfield int: {@code direct_io}. */
    public static final int FILE_INFO_DIRECT_IO = 1;
    /** Bit 1 of the bitfield int: {@code keep_cache}. */
    public static final int FILE_INFO_KEEP_CACHE = 1 << 1;

    /** The root's mode when removal is allowed: its owner may remove entries ({@code default_permissions}). */
    static final int ROOT_REMOVABLE_PERMISSIONS = 0755;
    private static final long ROOT_INODE = io.fuseengine.fuse.tree.InodeRegistry.ROOT_INODE;
    private static final int O_ACCMODE = 03;
    private static final int O_RDONLY = 0;
    private static final int O_CREAT = 0100;
    private static final int O_TRUNC = 01000;
    private static final int O_APPEND = 02000;
    private static final int W_OK = 2;
    private static final int X_OK = 1;
    private static final byte[] DOT = {'.', 0};
    private static final byte[] DOT_DOT = {'.', '.', 0};

    private final Supplier<FsTree> trees;
    private final ReadPipeline pipeline;
    private final StreamingReader reader;
    private final OpenFileTable openFiles;
    private final long uid;
    private final long gid;
    /**
     * The file each path was last opened as (one entry per distinct path opened since mount). Decides
     * {@code keep_cache}: the kernel's pages of a path are only kept when they are this file's.
     */
    private final ConcurrentHashMap<String, CacheFileIdentity> openedAs = new ConcurrentHashMap<>();
    private final LongAdder reads = new LongAdder();
    private final LongAdder rebindings = new LongAdder();
    private volatile TorrentControl control = TorrentControl.NONE;
    private volatile boolean allowRemove;
    /**
     * Called on the FUSE thread after every {@link #read} with its duration in nanoseconds (failed reads
     * included); must be quick, must not throw and should not allocate. No-op by default.
     */
    private volatile LongConsumer readObserver = NO_OBSERVER;

    private static final LongConsumer NO_OBSERVER = ns -> { };

    /**
     * A filesystem without chunk cache or read-ahead: every read goes to the pipeline.
     *
     * @param trees     the current snapshot (e.g. {@code catalog::tree}); called on every callback, must not block.
     * @param pipeline  the read path.
     * @param openFiles the open-file table.
     */
    public TorrentFileSystem(final Supplier<FsTree> trees, final ReadPipeline pipeline, final OpenFileTable openFiles)
    {
        this(trees, pipeline, null, openFiles);
    }

    /**
     * @param trees     the current snapshot (e.g. {@code catalog::tree}); called on every callback, must not block.
     * @param pipeline  the pipeline the reader reads through.
     * @param reader    the read path (chunk cache, read-ahead), or null to read straight through the pipeline.
     *                  Stays the caller's: this class opens and closes streams, never the reader.
     * @param openFiles the open-file table.
     */
    public TorrentFileSystem(
        final Supplier<FsTree> trees,
        final ReadPipeline pipeline,
        final StreamingReader reader,
        final OpenFileTable openFiles)
    {
        super(true);
        this.trees = Objects.requireNonNull(trees, "trees");
        this.pipeline = Objects.requireNonNull(pipeline, "pipeline");
        this.reader = reader;
        this.openFiles = Objects.requireNonNull(openFiles, "openFiles");
        this.uid = processId("unix:uid");
        this.gid = processId("unix:gid");
    }

    private static long processId(final String attribute)
    {
        try
        {
            return ((Number)Files.getAttribute(Path.of("/proc/self"), attribute)).longValue();
        }
        catch (final Exception ex)
        {
            return 0;
        }
    }

    /**
     * Owning thread, before mounting (visible to FUSE threads afterwards): where progress, ids and removal come from.
     *
     * @param control     the catalog (or {@link TorrentControl#NONE}).
     * @param allowRemove true: {@code rmdir}/{@code unlink} of a torrent's top-level entry forget it in rqbit.
     */
    public void torrentControl(final TorrentControl control, final boolean allowRemove)
    {
        this.control = Objects.requireNonNull(control, "control");
        this.allowRemove = allowRemove;
    }

    /**
     * Any thread: sets the observer of read durations (null restores the no-op). See {@link #readObserver}.
     */
    public void readObserver(final LongConsumer observer)
    {
        this.readObserver = observer == null ? NO_OBSERVER : observer;
    }

    /** @return true if removal through the mount is allowed. */
    public boolean removalAllowed()
    {
        return allowRemove;
    }

    public OpenFileTable openFiles()
    {
        return openFiles;
    }

    /** @return the read path in front of the pipeline, or null if reads go straight to it. */
    public StreamingReader reader()
    {
        return reader;
    }

    /** @return {@code read} callbacks so far (the kernel's page cache answers the others without one). */
    public long reads()
    {
        return reads.sum();
    }

    /** @return opens that dropped the kernel's cached pages because the path had been bound to another file. */
    public long rebindings()
    {
        return rebindings.sum();
    }

    // ---------------------------------------------------------------------------------------------- metadata

    @Override
    public int getattr(final String path, final FileStat stat)
    {
        try
        {
            final FsNode node = trees.get().lookup(path);
            if (node == null)
            {
                return -Errno.ENOENT;
            }
            fill(stat, node);
            return 0;
        }
        catch (final Throwable t)
        {
            return failed("getattr", path, t);
        }
    }

    @Override
    public int fgetattr(final String path, final FileStat stat, final FuseFileInfo fi)
    {
        return getattr(path, stat);
    }

    private void fill(final FileStat stat, final FsNode node)
    {
        stat.st_mode.set(node.isDirectory()
            ? FileStat.S_IFDIR | (allowRemove && node.inode() == ROOT_INODE ? ROOT_REMOVABLE_PERMISSIONS : FsNode.DIR_PERMISSIONS)
            : FileStat.S_IFREG | FsNode.FILE_PERMISSIONS);
        stat.st_ino.set(node.inode());
        stat.st_nlink.set(node.nlink());
        stat.st_size.set(node.size());
        stat.st_blocks.set(blocks(node));
        stat.st_blksize.set(BLOCK_SIZE);
        stat.st_uid.set(uid);
        stat.st_gid.set(gid);
        setTime(stat.st_mtim, node.mtimeSeconds());
        setTime(stat.st_atim, node.mtimeSeconds());
        setTime(stat.st_ctim, node.mtimeSeconds());
    }

    /**
     * FUSE thread, allocation-free: a file's downloaded bytes in 512-byte blocks, rounded up (its full size while
     * the progress is unknown); a directory's apparent size.
     */
    private long blocks(final FsNode node)
    {
        final StreamTarget target = node.target();
        if (target == null)
        {
            return node.blocks();
        }
        final TorrentProgress p = control.progress(target.infoHash());
        final long done = p == null ? -1 : p.fileProgress(target.fileIndex());
        return done < 0 ? node.blocks() : (Math.min(done, node.size()) + 511) / 512;
    }

    private static void setTime(final Timespec ts, final long seconds)
    {
        ts.tv_sec.set(seconds);
        ts.tv_nsec.set(0);
    }

    @Override
    public int opendir(final String path, final FuseFileInfo fi)
    {
        try
        {
            final FsNode node = trees.get().lookup(path);
            if (node == null)
            {
                return -Errno.ENOENT;
            }
            return node.isDirectory() ? 0 : -Errno.ENOTDIR;
        }
        catch (final Throwable t)
        {
            return failed("opendir", path, t);
        }
    }

    @Override
    public int readdir(final String path, final Pointer buf, final FuseFillDir filler, @off_t final long offset, final FuseFileInfo fi)
    {
        try
        {
            final FsTree tree = trees.get();
            final FsNode node = tree.lookup(path);
            if (node == null)
            {
                return -Errno.ENOENT;
            }
            if (!node.isDirectory())
            {
                return -Errno.ENOTDIR;
            }
            final FileStat entry = new FileStat(Runtime.getSystemRuntime());
            final Pointer entryMemory = Struct.getMemory(entry);
            filler.apply(buf, ByteBuffer.wrap(DOT), null, 0);
            filler.apply(buf, ByteBuffer.wrap(DOT_DOT), null, 0);
            for (final FsNode child : node.children())
            {
                entry.st_ino.set(child.inode());
                entry.st_mode.set(child.isDirectory() ? FileStat.S_IFDIR | FsNode.DIR_PERMISSIONS : FileStat.S_IFREG | FsNode.FILE_PERMISSIONS);
                if (filler.apply(buf, ByteBuffer.wrap(child.nameZ()), entryMemory, 0) != 0)
                {
                    return -Errno.ENOMEM;
                }
            }
            return 0;
        }
        catch (final Throwable t)
        {
            return failed("readdir", path, t);
        }
    }

    @Override
    public int releasedir(final String path, final FuseFileInfo fi)
    {
        return 0;
    }

    @Override
    public int access(final String path, final int mask)
    {
        try
        {
            final FsNode node = trees.get().lookup(path);
            if (node == null)
            {
                return -Errno.ENOENT;
            }
            if ((mask & W_OK) != 0)
            {
                return -Errno.EROFS;
            }
            if ((mask & X_OK) != 0 && !node.isDirectory())
            {
                return -Errno.EACCES;
            }
            return 0;
        }
        catch (final Throwable t)
        {
            return failed("access", path, t);
        }
    }

    @Override
    public int statfs(final String path, final Statvfs st)
    {
        try
        {
            final FsTree tree = trees.get();
            st.f_bsize.set(BLOCK_SIZE);
            st.f_frsize.set(BLOCK_SIZE);
            st.f_blocks.set((tree.totalBytes() + BLOCK_SIZE - 1) / BLOCK_SIZE);
            st.f_bfree.set(0);
            st.f_bavail.set(0);
            st.f_files.set(tree.nodeCount());
            st.f_ffree.set(0);
            st.f_favail.set(0);
            st.f_flag.set(Statvfs.ST_RDONLY | Statvfs.ST_NOSUID | Statvfs.ST_NODEV);
            st.f_namemax.set(NameSanitizer.MAX_NAME_BYTES);
            return 0;
        }
        catch (final Throwable t)
        {
            return failed("statfs", path, t);
        }
    }

    /**
     * Read-only {@code user.torrent.*} attributes ({@link TorrentXattrs}) of torrent entries. Size protocol: size 0
     * answers the value's length; a smaller buffer ERANGE; an unknown name (or the root) ENODATA.
     */
    @Override
    public int getxattr(final String path, final String name, final Pointer value, @size_t final long size)
    {
        try
        {
            final FsTree tree = trees.get();
            final FsNode node = tree.lookup(path);
            if (node == null)
            {
                return -Errno.ENOENT;
            }
            final TorrentLayout torrent = tree.torrentOf(path);
            if (torrent == null || name == null || !name.startsWith(TorrentXattrs.PREFIX))
            {
                return -Errno.ENODATA;
            }
            final String text = TorrentXattrs.of(node, torrent, control).get(name);
            if (text == null)
            {
                return -Errno.ENODATA;
            }
            return copyOut(text.getBytes(StandardCharsets.UTF_8), value, size);
        }
        catch (final Throwable t)
        {
            return failed("getxattr", path, t);
        }
    }

    /**
     * The names of {@link #getxattr}'s attributes, each NUL-terminated; same size protocol.
     */
    @Override
    public int listxattr(final String path, final Pointer list, @size_t final long size)
    {
        try
        {
            final FsTree tree = trees.get();
            final FsNode node = tree.lookup(path);
            if (node == null)
            {
                return -Errno.ENOENT;
            }
            final TorrentLayout torrent = tree.torrentOf(path);
            if (torrent == null)
            {
                return 0;
            }
            final StringBuilder names = new StringBuilder();
            for (final Map.Entry<String, String> e : TorrentXattrs.of(node, torrent, control).entrySet())
            {
                names.append(e.getKey()).append('\0');
            }
            return copyOut(names.toString().getBytes(StandardCharsets.UTF_8), list, size);
        }
        catch (final Throwable t)
        {
            return failed("listxattr", path, t);
        }
    }

    private static int copyOut(final byte[] bytes, final Pointer dest, final long size)
    {
        if (size == 0)
        {
            return bytes.length;
        }
        if (size < bytes.length)
        {
            return -Errno.ERANGE;
        }
        dest.put(0, bytes, 0, bytes.length);
        return bytes.length;
    }

    @Override
    public int readlink(final String path, final Pointer buf, @size_t final long size)
    {
        return trees.get().lookup(path) == null ? -Errno.ENOENT : -Errno.EINVAL;
    }

    // ---------------------------------------------------------------------------------------------- files

    @Override
    public int open(final String path, final FuseFileInfo fi)
    {
        try
        {
            final FsNode node = trees.get().lookup(path);
            if (node == null)
            {
                return -Errno.ENOENT;
            }
            final int flags = fi.flags.get();
            if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC | O_APPEND)) != 0)
            {
                return -Errno.EROFS;
            }
            if (node.isDirectory())
            {
                return -Errno.EISDIR;
            }
            final OpenStream stream = reader == null ? null
                : reader.open(node.target(), node.cacheIdentity(), node.isMedia());
            final long fh = stream == null ? openFiles.open(node.target()) : openFiles.open(stream);
            if (fh < 0)
            {
                if (stream != null)
                {
                    reader.close(stream);
                }
                LOG.warn("open of {} refused: {} files already open: {}", node.target(), openFiles.capacity(), Errno.name(Errno.ENFILE));
                return -Errno.ENFILE;
            }
            fi.fh.set(fh);
            final CacheFileIdentity before = openedAs.put(path, node.cacheIdentity());
            final boolean sameFile = before == null || before.equals(node.cacheIdentity());
            if (!sameFile)
            {
                rebindings.increment();
                LOG.info("{} now names {} (was {}): dropping its cached pages", path, node.target(), before);
            }
            setCacheBits(Struct.getMemory(fi), sameFile);
            return 0;
        }
        catch (final Throwable t)
        {
            return failed("open", path, t);
        }
    }

    /**
     * FUSE thread: bytes land straight in {@code buf} (FUSE's reply buffer). A mount answers reads through
     * {@link #readReply} (or {@link #readRaw}); this is jnr-fuse's entry, for platforms where neither was installed.
     *
     * @return bytes read (short only at end of file) or a negated errno.
     */
    @Override
    public int read(final String path, final Pointer buf, @size_t final long size, @off_t final long offset, final FuseFileInfo fi)
    {
        return timedRead(path, 0, buf.address(), null, size, offset, fi.fh.get());
    }

    /**
     * FUSE thread: {@link #read} without jnr-fuse's per-call objects (a {@link RawReadCallback}), for a read libfuse
     * processes itself (the session loop answers the others through {@link #readReply}).
     *
     * @return bytes read (short only at end of file) or a negated errno.
     */
    @Override
    protected int readRaw(final long pathAddress, final long buf, final long size, final long offset, final long fh)
    {
        return timedRead(null, pathAddress, buf, null, size, offset, fh);
    }

    /**
     * FUSE thread, hot path of a lean mount (the session loop's answer to every {@code FUSE_READ}): a read inside one
     * chunk that is resident or being fetched is written to the kernel straight from the chunk or the fetch's
     * destination ({@link FuseReadReply#take}); the rest is copied into the reply's room.
     *
     * @return bytes read (short only at end of file) or a negated errno.
     */
    @Override
    protected int readReply(final long fh, final long offset, final int size, final FuseReadReply reply)
    {
        return timedRead(null, 0, 0, reply, size, offset, fh);
    }

    /** Exactly one of {@code buf} (non-zero) and {@code sink} (non-null) is given. */
    private int timedRead(final String path, final long pathAddress, final long buf, final ReadSink sink, final long size,
        final long offset, final long fh)
    {
        final long t0 = System.nanoTime();
        final int result = doRead(path, pathAddress, buf, sink, size, offset, fh);
        try
        {
            readObserver.accept(System.nanoTime() - t0);
        }
        catch (final Throwable t)
        {
            LOG.error("read observer failed", t);
        }
        return result;
    }

    /**
     * For a log line: {@code path}, or the one at {@code pathAddress} decoded (the raw callback's), or the handle
     * (the session loop's read, which has no path).
     */
    private static String pathOf(final String path, final long pathAddress, final long fh)
    {
        if (path != null)
        {
            return path;
        }
        if (pathAddress == 0)
        {
            return "file handle " + fh;
        }
        return Pointer.wrap(Runtime.getSystemRuntime(), pathAddress).getString(0);
    }

    private int doRead(final String path, final long pathAddress, final long buf, final ReadSink sink, final long size,
        final long offset, final long fh)
    {
        reads.increment();
        StreamTarget target = null;
        try
        {
            final OpenStream stream = reader == null ? null : openFiles.stream(fh);
            target = reader == null ? openFiles.target(fh) : stream == null ? null : stream.target();
            if (target == null)
            {
                LOG.warn("read of {} at offset {} with unknown file handle: {}", pathOf(path, pathAddress, fh), offset, Errno.name(Errno.EBADF));
                return -Errno.EBADF;
            }
            if (offset < 0)
            {
                return -Errno.EINVAL;
            }
            if (offset >= target.length() || size <= 0)
            {
                return 0;
            }
            if (!trees.get().containsTorrent(target.infoHash()))
            {
                LOG.warn("read of {} at offset {} failed: torrent left rqbit: {}", target, offset, Errno.name(Errno.ENOENT));
                return -Errno.ENOENT;
            }
            final OpenFileTable.ReadFailure recent = openFiles.recentFailure(fh, offset, System.nanoTime(), FAILURE_MEMO_NS);
            if (recent != null)
            {
                LOG.debug("read of {} at offset {} answered from the failure just seen: {}", target, offset, Errno.name(recent.errno()));
                return -recent.errno();
            }
            final int length = (int)Math.min(size, SlotLayout.MAX_READ_LENGTH);
            final int result;
            if (stream != null)
            {
                result = sink == null ? reader.read(stream, offset, length, buf) : reader.read(stream, offset, length, sink);
            }
            else
            {
                result = pipeline.read(target, offset, length, sink == null ? buf : sink.destination(length));
            }
            if (result < 0)
            {
                openFiles.recordFailure(fh, offset, length, -result, System.nanoTime());
                LOG.warn("read of {} at offset {} ({} bytes) failed: {}", target, offset, length, Errno.name(-result));
            }
            return result;
        }
        catch (final Throwable t)
        {
            LOG.error("read of {} at offset {} failed: {}", target != null ? target : pathOf(path, pathAddress, fh), offset, Errno.name(Errno.EIO), t);
            return -Errno.EIO;
        }
    }

    @Override
    public int release(final String path, final FuseFileInfo fi)
    {
        try
        {
            final long fh = fi.fh.get();
            final OpenStream stream = reader == null ? null : openFiles.stream(fh);
            if (openFiles.release(fh) && stream != null)
            {
                reader.close(stream);
            }
            return 0;
        }
        catch (final Throwable t)
        {
            return failed("release", path, t);
        }
    }

    @Override
    public int flush(final String path, final FuseFileInfo fi)
    {
        return 0;
    }

    @Override
    public int fsync(final String path, final int isdatasync, final FuseFileInfo fi)
    {
        return 0;
    }

    // ---------------------------------------------------------------------------------------------- read-only

    @Override
    public int write(final String path, final Pointer buf, @size_t final long size, @off_t final long offset, final FuseFileInfo fi)
    {
        return -Errno.EROFS;
    }

    @Override
    public int create(final String path, @mode_t final long mode, final FuseFileInfo fi)
    {
        return -Errno.EROFS;
    }

    @Override
    public int mknod(final String path, @mode_t final long mode, @dev_t final long rdev)
    {
        return -Errno.EROFS;
    }

    @Override
    public int mkdir(final String path, @mode_t final long mode)
    {
        return -Errno.EROFS;
    }

    /**
     * Forgets a single-file torrent shown at the root (when removal is allowed); every other file answers EROFS.
     */
    @Override
    public int unlink(final String path)
    {
        try
        {
            final FsTree tree = trees.get();
            final FsNode node = tree.lookup(path);
            if (node == null)
            {
                return -Errno.ENOENT;
            }
            if (node.isDirectory())
            {
                return -Errno.EISDIR;
            }
            final TorrentLayout torrent = tree.torrentAt(path);
            if (torrent == null || !torrent.singleFile() || !allowRemove)
            {
                return -Errno.EROFS;
            }
            return removeTorrent(torrent);
        }
        catch (final Throwable t)
        {
            return failed("unlink", path, t);
        }
    }

    /**
     * Forgets the torrent whose top-level directory this is (when removal is allowed); a subdirectory answers
     * EROFS, the root EBUSY.
     */
    @Override
    public int rmdir(final String path)
    {
        try
        {
            if ("/".equals(path))
            {
                return -Errno.EBUSY;
            }
            final FsTree tree = trees.get();
            final FsNode node = tree.lookup(path);
            if (node == null)
            {
                return -Errno.ENOENT;
            }
            if (!node.isDirectory())
            {
                return -Errno.ENOTDIR;
            }
            final TorrentLayout torrent = tree.torrentAt(path);
            if (torrent == null || !allowRemove)
            {
                return -Errno.EROFS;
            }
            return removeTorrent(torrent);
        }
        catch (final Throwable t)
        {
            return failed("rmdir", path, t);
        }
    }

    /** FUSE thread: the one callback that waits on rqbit (bounded by the metadata timeout). */
    private int removeTorrent(final TorrentLayout torrent)
    {
        final int errno = control.remove(torrent.infoHash(), torrent.torrentName());
        return errno == 0 ? 0 : -errno;
    }

    @Override
    public int symlink(final String oldpath, final String newpath)
    {
        return -Errno.EROFS;
    }

    @Override
    public int rename(final String oldpath, final String newpath)
    {
        return -Errno.EROFS;
    }

    @Override
    public int link(final String oldpath, final String newpath)
    {
        return -Errno.EROFS;
    }

    @Override
    public int chmod(final String path, @mode_t final long mode)
    {
        return -Errno.EROFS;
    }

    @Override
    public int chown(final String path, @uid_t final long uid, @gid_t final long gid)
    {
        return -Errno.EROFS;
    }

    @Override
    public int truncate(final String path, @off_t final long size)
    {
        return -Errno.EROFS;
    }

    @Override
    public int ftruncate(final String path, @off_t final long size, final FuseFileInfo fi)
    {
        return -Errno.EROFS;
    }

    @Override
    public int utimens(final String path, final Timespec[] timespec)
    {
        return -Errno.EROFS;
    }

    @Override
    public int setxattr(final String path, final String name, final Pointer value, @size_t final long size, final int flags)
    {
        return -Errno.EROFS;
    }

    @Override
    public int removexattr(final String path, final String name)
    {
        return -Errno.EROFS;
    }

    @Override
    public int fallocate(final String path, final int mode, @off_t final long off, @off_t final long length, final FuseFileInfo fi)
    {
        return -Errno.EROFS;
    }

    /**
     * Sets (or clears) {@code keep_cache} and clears {@code direct_io} in a {@code fuse_file_info}, leaving its
     * other bits alone.
     */
    static void setCacheBits(final Pointer fileInfo, final boolean keepCache)
    {
        final int bits = fileInfo.getInt(FILE_INFO_BITS_OFFSET) & ~FILE_INFO_DIRECT_IO;
        fileInfo.putInt(FILE_INFO_BITS_OFFSET, keepCache ? bits | FILE_INFO_KEEP_CACHE : bits & ~FILE_INFO_KEEP_CACHE);
    }

    private static int failed(final String op, final String path, final Throwable t)
    {
        LOG.error("{} of {} failed: {}", op, path, Errno.name(Errno.EIO), t);
        return -Errno.EIO;
    }
}
