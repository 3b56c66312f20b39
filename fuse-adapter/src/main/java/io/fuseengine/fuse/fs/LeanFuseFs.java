package io.fuseengine.fuse.fs;

import io.fuseengine.fuse.mount.FuseMount;
import io.fuseengine.fuse.mount.FuseReadReply;
import io.fuseengine.fuse.mount.FuseSessionLoop;
import jnr.ffi.Pointer;
import jnr.ffi.Struct;
import ru.serce.jnrfuse.FuseException;
import ru.serce.jnrfuse.FuseStubFS;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A jnr-fuse filesystem without jnr-fuse's two per-call costs, when built {@code lean}:
 * <ul>
 *   <li>its {@code read} entry is {@link #readRaw} ({@link RawReadCallback}: raw addresses, no {@code FuseFileInfo}
 *   struct, no path string, no {@code Pointer} objects);</li>
 *   <li>{@link #mount} runs libfuse's session loop on Java threads ({@link FuseSessionLoop}), not on libfuse's
 *   native workers that jffi attaches to the JVM callback by callback;</li>
 *   <li>that loop answers {@code FUSE_READ} itself through {@link #readReply} (no path lookup, no buffer allocated
 *   by libfuse, no native upcall), and the file system may hand over the bytes where they already are
 *   ({@link FuseReadReply#take}).</li>
 * </ul>
 * Built not lean, it is a plain {@link FuseStubFS} (jnr-fuse's read entry and {@code fuse_main_real}): the
 * benchmarks' Java FUSE ceiling measures both.
 * <p>
 * Threads: construction and {@link #mount} on the owner's thread; {@link #readRaw} on FUSE worker threads.
 */
public abstract class LeanFuseFs extends FuseStubFS
{
    private static final String MAX_READ_OPTION = "max_read=";
    /** libfuse 2's largest read per request (32 pages). */
    private static final long LIBFUSE2_MAX_READ = 128 * 1024;
    private static final int PAGE_SIZE = 4096;

    private final boolean lean;
    /**
     * {@link #readRaw} as a callback object: jnr's native closure refers to it only weakly, so it is held here for
     * the filesystem's life (once collected, the closure would answer every read with 0, i.e. end of file).
     */
    private final RawReadCallback rawRead = (pathAddress, buf, size, offset, fileInfo) ->
        readRaw(pathAddress, buf, size, offset, RawReadCallback.fileHandle(fileInfo));
    /** The native closure of {@link #rawRead} in the operations struct (null: jnr-fuse's own); held while mounted. */
    private final Pointer rawReadClosure;
    private volatile FuseSessionLoop sessionLoop;

    /**
     * @param lean true: raw read entry and the Java-thread session loop; false: jnr-fuse's own.
     */
    protected LeanFuseFs(final boolean lean)
    {
        this.lean = lean;
        this.rawReadClosure = lean ? RawReadCallback.install(fuseOperations, rawRead) : null;
    }

    /**
     * FUSE thread: the read callback with raw arguments (see {@link RawReadCallback#read}); never throws.
     *
     * @param pathAddress address of the NUL-terminated path (only to be decoded for a log line), or 0 (none given).
     * @param buf         address of room for {@code size} bytes.
     * @param fh          the handle {@code open} stored; 0 when libfuse passed no file info.
     * @return bytes read or a negated errno.
     */
    protected abstract int readRaw(long pathAddress, long buf, long size, long offset, long fh);

    /**
     * FUSE thread, lean mounts: answers one {@code FUSE_READ} (the session loop's {@link FuseSessionLoop.ReadHandler});
     * never throws. This default reads into the reply's {@link FuseReadReply#destination}, as libfuse would into a
     * buffer of its own; a file system whose bytes already sit in memory may hand them over instead
     * ({@link FuseReadReply#take}).
     *
     * @return bytes read or a negated errno.
     */
    protected int readReply(final long fh, final long offset, final int size, final FuseReadReply reply)
    {
        return readRaw(0, size <= 0 ? 0 : reply.destination(size), size, offset, fh);
    }

    /**
     * Owner thread: mounts at {@code mountPoint}. Lean: with libfuse's session loop on Java threads
     * ({@link FuseSessionLoop}), returning once the kernel's INIT is answered (libfuse refuses at once; no 2 s wait);
     * otherwise jnr-fuse's {@code fuse_main_real}. {@link #umount} ends either.
     *
     * @param blocking true: wait until the session has ended.
     * @param debug    lean: ignored (libfuse's {@code -d} would print every request).
     * @param fuseOpts extra libfuse arguments, e.g. {@code {"-o", "ro,..."}}.
     */
    @Override
    public void mount(final Path mountPoint, final boolean blocking, final boolean debug, final String[] fuseOpts)
    {
        if (!lean)
        {
            super.mount(mountPoint, blocking, debug, fuseOpts);
            return;
        }
        if (!mounted.compareAndSet(false, true))
        {
            throw new FuseException("already mounted at " + this.mountPoint);
        }
        this.mountPoint = mountPoint;
        final String[] argv = new String[3 + fuseOpts.length];
        argv[0] = FuseMount.FS_NAME;
        argv[1] = "-f";
        argv[2] = mountPoint.toAbsolutePath().toString();
        System.arraycopy(fuseOpts, 0, argv, 3, fuseOpts.length);
        try
        {
            sessionLoop = FuseSessionLoop.start(fuseOperations, argv, maxPages(fuseOpts), this::readReply);
            // as jnr-fuse does: a JVM that exits without unmounting must not leave a dead mount behind
            Runtime.getRuntime().addShutdownHook(new Thread(this::umount, "fuse-umount-on-exit"));
        }
        catch (final RuntimeException | Error ex)
        {
            mounted.set(false);
            throw new FuseException("Unable to mount FS", ex);
        }
        if (blocking)
        {
            try
            {
                sessionLoop.awaitTeardown(Long.MAX_VALUE, TimeUnit.DAYS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Pages per FUSE request to negotiate: the last {@code max_read} among {@code -o} options, in 4 KiB pages, when
     * it is above libfuse 2's 128 KiB (the kernel caps a read at both {@code max_read} and {@code max_pages}).
     *
     * @return pages, or 0 for libfuse's own INIT reply.
     */
    static int maxPages(final String[] fuseOpts)
    {
        long maxRead = 0;
        for (int i = 0; i + 1 < fuseOpts.length; i++)
        {
            if ("-o".equals(fuseOpts[i]))
            {
                for (final String o : fuseOpts[i + 1].split(","))
                {
                    if (o.startsWith(MAX_READ_OPTION))
                    {
                        try
                        {
                            maxRead = Long.parseLong(o.substring(MAX_READ_OPTION.length()));
                        }
                        catch (final NumberFormatException ex)
                        {
                            maxRead = 0; // libfuse refuses the option itself
                        }
                    }
                }
            }
        }
        return maxRead > LIBFUSE2_MAX_READ ? (int)Math.min(maxRead / PAGE_SIZE, Integer.MAX_VALUE) : 0;
    }

    /** The session loop of the current mount, or null (not mounted, or not lean). */
    public FuseSessionLoop sessionLoop()
    {
        return sessionLoop;
    }

    /** Whether the operations struct's {@code read} entry is {@link #readRaw}'s closure. */
    public boolean readsThroughRawCallback()
    {
        return rawReadClosure != null
            && Struct.getMemory(fuseOperations).getPointer(fuseOperations.read.offset()).address() == rawReadClosure.address();
    }
}
