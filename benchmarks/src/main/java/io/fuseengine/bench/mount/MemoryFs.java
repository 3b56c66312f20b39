package io.fuseengine.bench.mount;

import io.fuseengine.fuse.fs.LeanFuseFs;
import io.fuseengine.fuse.mount.KernelReadAhead;
import io.fuseengine.sim.ContentGenerator;
import jnr.ffi.Pointer;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import org.agrona.UnsafeApi;
import ru.serce.jnrfuse.ErrorCodes;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The Java FUSE ceiling of the through-the-mount benchmark: a read-only jnr-fuse filesystem serving the
 * {@link DataSet} files (same names, sizes and bytes as on disk) with no backend at all. A read generates the
 * requested bytes with {@link ContentGenerator} into a pooled heap array and copies them into FUSE's reply buffer;
 * so the only costs are jnr-fuse/libfuse/kernel plus the generation (a few GB/s per core) and one copy.
 * <p>
 * Mount options are fuse-engine's ({@code FuseMount.options}): {@code ro,default_permissions,max_read=1048576,use_ino}
 * (fsname/subtype {@code memoryfs}; {@code -Dmemoryfs.maxRead=N} changes {@code max_read}), no {@code direct_io}, no
 * {@code kernel_cache}, no {@code keep_cache}: like fuse-engine, the kernel drops the file's page cache on every open.
 * The stock variant gets 128 KiB reads whatever {@code max_read} says (libfuse 2's INIT reply); the lean one
 * negotiates {@code max_read} as fuse-engine does and, as root, raises the mount's read-ahead to fuse-engine's default
 * ({@code -Dmemoryfs.readAheadKb=N} changes it, 0 leaves the kernel's), so it gets fuse-engine's 1 MiB reads.
 * <p>
 * Two variants: the stock one (jnr-fuse's read entry and {@code fuse_main_real}: the ceiling as first defined, "a
 * jnr-fuse filesystem") and {@code lean}, with fuse-engine's raw read entry and session loop on Java threads
 * ({@link LeanFuseFs}): the same per-call machinery fuse-engine uses, so a ratio against it compares the engine's
 * own work only.
 * <p>
 * {@code java --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED -cp benchmarks.jar
 * io.fuseengine.bench.mount.MemoryFs <mountpoint> <spec> [lean]} (Agrona's {@code UnsafeApi} needs the export);
 * serves until SIGTERM/SIGINT (a shutdown hook unmounts). Prints {@code memoryfs mounted <mountpoint>} once mounted.
 */
public final class MemoryFs extends LeanFuseFs
{
    private static final int DIR_MODE = FileStat.S_IFDIR | 0555;
    private static final int FILE_MODE = FileStat.S_IFREG | 0444;
    private static final int MAX_READ = 1 << 20; // the largest FUSE read this machine can negotiate (256 pages)
    private static final long BYTE_ARRAY_BASE = UnsafeApi.arrayBaseOffset(byte[].class);

    private static final class Node
    {
        final long ino;
        final boolean dir;
        final long size;
        final long seed;
        final List<String> children = new ArrayList<>();

        Node(final long ino, final boolean dir, final long size, final long seed)
        {
            this.ino = ino;
            this.dir = dir;
            this.size = size;
            this.seed = seed;
        }
    }

    private final Map<String, Node> nodes = new HashMap<>();
    /** Files by inode number (the {@code fh} open stores; dense from 1), for the lean read entry. */
    private final Node[] byIno;
    private final ConcurrentLinkedQueue<byte[]> buffers = new ConcurrentLinkedQueue<>();
    private final long mtime = System.currentTimeMillis() / 1000;
    private final long uid;
    private final long gid;

    MemoryFs(final List<DataSet.Entry> entries, final long uid, final long gid, final boolean lean)
    {
        super(lean);
        this.uid = uid;
        this.gid = gid;
        long ino = 1;
        final Map<String, Node> dirs = new LinkedHashMap<>();
        final Node root = new Node(ino++, true, 0, 0);
        nodes.put("/", root);
        for (final DataSet.Entry e : entries)
        {
            final String p = "/" + e.path();
            final int slash = p.lastIndexOf('/');
            final String parent = slash == 0 ? "/" : p.substring(0, slash);
            Node dir = nodes.get(parent);
            if (dir == null)
            {
                dir = new Node(ino++, true, 0, 0);
                nodes.put(parent, dir);
                dirs.put(parent, dir);
                root.children.add(parent.substring(1));
            }
            dir.children.add(p.substring(slash + 1));
            final Node file = new Node(ino++, false, e.size(), e.seed());
            nodes.put(p, file);
        }
        byIno = new Node[(int)ino];
        for (final Node n : nodes.values())
        {
            byIno[(int)n.ino] = n.dir ? null : n;
        }
    }

    @Override
    public int getattr(final String path, final FileStat stat)
    {
        final Node n = nodes.get(path);
        if (n == null)
        {
            return -ErrorCodes.ENOENT();
        }
        stat.st_mode.set(n.dir ? DIR_MODE : FILE_MODE);
        stat.st_ino.set(n.ino);
        stat.st_nlink.set(n.dir ? 2 : 1);
        stat.st_size.set(n.size);
        stat.st_blocks.set((n.size + 511) / 512);
        stat.st_blksize.set(4096);
        stat.st_uid.set(uid);
        stat.st_gid.set(gid);
        stat.st_mtim.tv_sec.set(mtime);
        stat.st_atim.tv_sec.set(mtime);
        stat.st_ctim.tv_sec.set(mtime);
        return 0;
    }

    @Override
    public int readdir(final String path, final Pointer buf, final FuseFillDir filter, @off_t final long offset, final FuseFileInfo fi)
    {
        final Node n = nodes.get(path);
        if (n == null)
        {
            return -ErrorCodes.ENOENT();
        }
        if (!n.dir)
        {
            return -ErrorCodes.ENOTDIR();
        }
        filter.apply(buf, ".", null, 0);
        filter.apply(buf, "..", null, 0);
        for (final String c : n.children)
        {
            if (filter.apply(buf, c, null, 0) != 0)
            {
                return -ErrorCodes.ENOMEM();
            }
        }
        return 0;
    }

    @Override
    public int open(final String path, final FuseFileInfo fi)
    {
        final Node n = nodes.get(path);
        if (n == null)
        {
            return -ErrorCodes.ENOENT();
        }
        if (n.dir)
        {
            return -ErrorCodes.EISDIR();
        }
        if ((fi.flags.get() & 3) != 0)
        {
            return -ErrorCodes.EROFS();
        }
        fi.fh.set(n.ino);
        return 0;
    }

    /** Read callbacks served, and the largest size asked for (printed at exit: shows the kernel's request size). */
    private static final LongAdder READS = new LongAdder();
    private static final AtomicLong MAX_SIZE = new AtomicLong();

    @Override
    public int read(final String path, final Pointer buf, @size_t final long size, @off_t final long offset, final FuseFileInfo fi)
    {
        return readInto(nodes.get(path), buf.address(), size, offset);
    }

    @Override
    protected int readRaw(final long pathAddress, final long buf, final long size, final long offset, final long fh)
    {
        return readInto(fh > 0 && fh < byIno.length ? byIno[(int)fh] : null, buf, size, offset);
    }

    /** Generates the bytes into a pooled heap array and copies them to {@code bufAddress}: one copy, either entry. */
    private int readInto(final Node n, final long bufAddress, final long size, final long offset)
    {
        READS.increment();
        if (size > MAX_SIZE.get())
        {
            MAX_SIZE.accumulateAndGet(size, Math::max);
        }
        if (n == null || n.dir)
        {
            return -ErrorCodes.EBADF();
        }
        if (offset < 0)
        {
            return -ErrorCodes.EINVAL();
        }
        if (offset >= n.size || size <= 0)
        {
            return 0;
        }
        final int len = (int)Math.min(Math.min(size, MAX_READ), n.size - offset);
        byte[] tmp = buffers.poll();
        if (tmp == null)
        {
            tmp = new byte[MAX_READ];
        }
        try
        {
            ContentGenerator.fill(n.seed, offset, tmp, 0, len);
            UnsafeApi.copyMemory(tmp, BYTE_ARRAY_BASE, null, bufAddress, len);
        }
        finally
        {
            buffers.offer(tmp);
        }
        return len;
    }

    @Override
    public int release(final String path, final FuseFileInfo fi)
    {
        return 0;
    }

    public static void main(final String[] args) throws Exception
    {
        if (args.length != 2 && !(args.length == 3 && "lean".equals(args[2])))
        {
            System.err.println("usage: MemoryFs <mountpoint> <spec> [lean]   (spec: see DataSet, e.g. big=1G,par=16x16M,media=200x8M)");
            System.exit(2);
        }
        final Path mnt = Path.of(args[0]).toAbsolutePath().normalize();
        final List<DataSet.Entry> entries = DataSet.parse(args[1]);
        final long uid = ((Number)Files.getAttribute(mnt, "unix:uid")).longValue();
        final long gid = ((Number)Files.getAttribute(mnt, "unix:gid")).longValue();
        final boolean lean = args.length == 3;
        final MemoryFs fs = new MemoryFs(entries, uid, gid, lean);
        final String options = "ro,fsname=memoryfs,subtype=memoryfs,default_permissions,max_read="
            + Integer.getInteger("memoryfs.maxRead", MAX_READ) + ",use_ino";
        final CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            System.out.println("memoryfs: " + READS.sum() + " read callbacks, largest " + MAX_SIZE.get() + " bytes");
            done.countDown();
        }, "memoryfs-shutdown"));
        fs.mount(mnt, false, false, new String[] {"-o", options});
        // lean mirrors fuse-engine's mount: its read-ahead (as root) too, without which the 1 MiB reads never come
        KernelReadAhead.raise(mnt, Integer.getInteger("memoryfs.readAheadKb", lean ? KernelReadAhead.DEFAULT_KB : 0));
        System.out.println("memoryfs mounted " + mnt + " (-o " + options + ", " + entries.size() + " files"
            + (lean ? ", lean: raw read entry, Java session loop" : "") + ")");
        System.out.flush();
        done.await();
    }
}
