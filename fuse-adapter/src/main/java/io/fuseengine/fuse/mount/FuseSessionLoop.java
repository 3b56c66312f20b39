package io.fuseengine.fuse.mount;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import jnr.ffi.byref.IntByReference;
import jnr.ffi.byref.PointerByReference;
import jnr.ffi.types.size_t;
import org.agrona.UnsafeApi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import ru.serce.jnrfuse.struct.FuseOperations;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

import static io.fuseengine.core.errno.Errno.EINTR;
import static io.fuseengine.core.errno.Errno.EIO;
import static io.fuseengine.fuse.mount.FuseProtocol.FUSE_BUF_FD;
import static io.fuseengine.fuse.mount.FuseProtocol.FUSE_BUF_FLAGS;
import static io.fuseengine.fuse.mount.FuseProtocol.FUSE_BUF_MEM;
import static io.fuseengine.fuse.mount.FuseProtocol.FUSE_BUF_POS;
import static io.fuseengine.fuse.mount.FuseProtocol.FUSE_BUF_SIZE_OFFSET;
import static io.fuseengine.fuse.mount.FuseProtocol.FUSE_BUF_STRUCT_SIZE;
import static io.fuseengine.fuse.mount.FuseProtocol.FUSE_INIT;
import static io.fuseengine.fuse.mount.FuseProtocol.FUSE_READ;
import static io.fuseengine.fuse.mount.FuseProtocol.IN_HEADER_OPCODE;
import static io.fuseengine.fuse.mount.FuseProtocol.IN_HEADER_SIZE;
import static io.fuseengine.fuse.mount.FuseProtocol.IN_HEADER_UNIQUE;
import static io.fuseengine.fuse.mount.FuseProtocol.READ_IN_FH;
import static io.fuseengine.fuse.mount.FuseProtocol.READ_IN_NEEDED;
import static io.fuseengine.fuse.mount.FuseProtocol.READ_IN_OFFSET;
import static io.fuseengine.fuse.mount.FuseProtocol.READ_IN_SIZE;

/**
 * libfuse 2's multi-threaded session loop, run on Java threads: what {@code fuse_main_real} does ({@code fuse_setup},
 * {@code fuse_loop_mt}, {@code fuse_teardown}) with the loop's workers started by the JVM instead of by libfuse.
 * <p>
 * Why: a libfuse worker is a native thread, and jffi attaches such a thread to the JVM for every callback until it
 * has made 1 000 of them (a fresh {@code Thread} object each time, 110–325 µs instead of ~27 µs per call; see
 * shared/stack-notes.md). libfuse ends a worker whenever more than 10 are idle and starts new ones under load, so
 * under 16 parallel readers ~1 000 threads a second went through that phase, with the garbage it leaves. A Java
 * worker is attached once, for its life.
 * <p>
 * Same policy as libfuse otherwise: one worker to start, another whenever every worker is busy (no upper bound: a
 * callback waiting on the network must not hold up a {@code getattr}), a worker ends when more than
 * {@link #MAX_IDLE_WORKERS} are idle. The loop ends when the kernel ends the session (unmount: every blocked
 * receive returns); the last worker out tears the session down ({@code fuse_teardown}).
 * <p>
 * Reads do not go through libfuse: given a {@link ReadHandler}, a worker answers each {@code FUSE_READ} itself
 * ({@link FuseReadReply}), so a read costs no path lookup, no native upcall and no buffer allocated by libfuse, and
 * the file system can have its reply written to {@code /dev/fuse} straight from memory that already holds the bytes.
 * Every other request (and every read when no handler is given) is processed by libfuse as before.
 * <p>
 * Threads: {@link #start} on the owner's thread; the workers are daemon threads {@code fuse-N}.
 */
public final class FuseSessionLoop
{
    private static final Logger LOG = LoggerFactory.getLogger(FuseSessionLoop.class);

    /**
     * Idle workers kept (libfuse 2 keeps 10). A Java worker costs a few KiB when idle and another is cheap to start
     * (no jffi attach phase), so a few more than libfuse are kept and a burst of readers leaves at most this many.
     */
    public static final int MAX_IDLE_WORKERS = 16;
    private static final int INIT_TIMEOUT_SECONDS = 10;

    /**
     * Answers {@code FUSE_READ} requests in place of libfuse ({@link FuseReadReply}).
     * <p>
     * Threads: FUSE workers, many at once.
     */
    @FunctionalInterface
    public interface ReadHandler
    {
        /**
         * Serves one read: bytes handed to {@code reply} ({@link FuseReadReply#take}) or copied into its
         * {@link FuseReadReply#destination}, or an error. Must not throw.
         *
         * @param fh     the handle the file system's {@code open} gave the file (libfuse passes it on unchanged).
         * @param offset file offset.
         * @param size   bytes asked for.
         * @return bytes read (short only at end of file) or a negated errno.
         */
        int read(long fh, long offset, int size, FuseReadReply reply);
    }

    /** The libfuse 2.9 functions the loop needs (all exported by libfuse.so.2). */
    public interface LibFuseSession
    {
        Pointer fuse_setup(int argc, String[] argv, FuseOperations op, @size_t long opSize,
            PointerByReference mountpoint, IntByReference multithreaded, Pointer userData);

        void fuse_teardown(Pointer fuse, Pointer mountpoint);

        Pointer fuse_get_session(Pointer fuse);

        Pointer fuse_session_next_chan(Pointer session, Pointer channel);

        @size_t long fuse_chan_bufsize(Pointer channel);

        int fuse_session_receive_buf(Pointer session, Pointer buf, Pointer channelRef);

        void fuse_session_process_buf(Pointer session, Pointer buf, Pointer channel);

        int fuse_session_exited(Pointer session);

        void fuse_session_exit(Pointer session);

        int fuse_chan_fd(Pointer channel);
    }

    private static final class Holder
    {
        static final LibFuseSession LIB = load();

        private static LibFuseSession load()
        {
            try
            {
                return LibraryLoader.create(LibFuseSession.class).failImmediately().load("fuse");
            }
            catch (final Throwable t)
            {
                return LibraryLoader.create(LibFuseSession.class).failImmediately().load("libfuse.so.2");
            }
        }
    }

    private final LibFuseSession lib;
    private final Runtime runtime = Runtime.getSystemRuntime();
    private final Pointer fuse;
    private final Pointer mountPointString;
    private final Pointer session;
    private final Pointer channel;
    private final long bufferSize;
    /** Pages per FUSE request asked for in the INIT reply ({@link InitReplyMaxPages}); below 2: libfuse's 32. */
    private final int maxPages;
    /** Answers reads instead of libfuse; null: libfuse does. */
    private final ReadHandler readHandler;
    private final int fd;
    /** Reads the workers answered from the file system's memory / from a copy. */
    private final LongAdder takenReplies = new LongAdder();
    private final LongAdder copiedReplies = new LongAdder();
    /** Pages per request the INIT reply carried; 0: libfuse's (32, 128 KiB). */
    private volatile int negotiatedMaxPages;
    /** Workers waiting in receive (or about to). */
    private final AtomicInteger idle = new AtomicInteger();
    private final AtomicInteger live = new AtomicInteger();
    private final AtomicInteger started = new AtomicInteger();
    private final CountDownLatch tornDown = new CountDownLatch(1);
    /** Counted down once the first request (always the kernel's INIT) has been answered. */
    private final CountDownLatch initialised = new CountDownLatch(1);
    /** Held for the session's life: the operations struct libfuse copied, and its closures. */
    @SuppressWarnings({"unused", "FieldCanBeLocal"})
    private final FuseOperations operations;

    private FuseSessionLoop(final LibFuseSession lib, final FuseOperations operations, final Pointer fuse,
        final Pointer mountPointString, final int maxPages, final ReadHandler readHandler)
    {
        this.lib = lib;
        this.readHandler = readHandler;
        this.maxPages = maxPages;
        this.operations = operations;
        this.fuse = fuse;
        this.mountPointString = mountPointString;
        this.session = lib.fuse_get_session(fuse);
        this.channel = lib.fuse_session_next_chan(session, null);
        this.bufferSize = lib.fuse_chan_bufsize(channel);
        this.fd = lib.fuse_chan_fd(channel);
    }

    /**
     * Mounts ({@code fuse_setup}: parses {@code argv}, mounts, creates the session) and starts the first worker.
     *
     * @param operations the filesystem's operations struct (jnr-fuse's {@code fuseOperations}).
     * @param argv       libfuse's command line: program name, {@code -f}, the mountpoint, options.
     * @param maxPages   pages (4 KiB) per FUSE request to negotiate beyond libfuse 2's 32 ({@link InitReplyMaxPages};
     *                   the options must carry a {@code max_read} as large); below 2: libfuse's own INIT reply.
     * @param readHandler answers every {@code FUSE_READ} instead of libfuse (and the operations struct's
     *                   {@code read}); null: libfuse dispatches reads as any other request.
     * @return the running loop.
     * @throws IllegalStateException if libfuse refuses (its reason is on stderr).
     */
    public static FuseSessionLoop start(final FuseOperations operations, final String[] argv, final int maxPages,
        final ReadHandler readHandler)
    {
        final LibFuseSession lib = Holder.LIB;
        final PointerByReference mountPoint = new PointerByReference();
        final IntByReference multithreaded = new IntByReference();
        final Pointer fuse = lib.fuse_setup(argv.length, argv, operations, Struct.size(operations),
            mountPoint, multithreaded, null);
        if (fuse == null)
        {
            throw new IllegalStateException("fuse_setup failed (libfuse's reason is on stderr)");
        }
        final FuseSessionLoop loop = new FuseSessionLoop(lib, operations, fuse, mountPoint.getValue(), maxPages, readHandler);
        loop.spawn();
        // the kernel applies INIT's answer (e.g. the bdi's read-ahead) when it arrives: return after that, so what
        // the caller sets on the mount afterwards is not overwritten
        try
        {
            if (!loop.initialised.await(INIT_TIMEOUT_SECONDS, TimeUnit.SECONDS))
            {
                LOG.warn("the kernel's FUSE INIT was not answered within {} s of mounting {}", INIT_TIMEOUT_SECONDS, argv[2]);
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        return loop;
    }

    /** Workers started so far (test and metrics hook). */
    public int workersStarted()
    {
        return started.get();
    }

    /** Pages per FUSE request the kernel was offered in INIT's reply; 0: libfuse's default (32). */
    public int negotiatedMaxPages()
    {
        return negotiatedMaxPages;
    }

    /** Reads the {@link ReadHandler} answered straight from the file system's memory (no copy before the kernel's). */
    public long readRepliesTaken()
    {
        return takenReplies.sum();
    }

    /** Reads the {@link ReadHandler} answered with bytes copied into the reply's room (errors, end of file: not counted). */
    public long readRepliesCopied()
    {
        return copiedReplies.sum();
    }

    /** Workers alive now. */
    public int workersAlive()
    {
        return live.get();
    }

    /**
     * Any thread: waits until the session has ended and been torn down (after an unmount).
     *
     * @return true if it ended within the timeout.
     */
    public boolean awaitTeardown(final long timeout, final TimeUnit unit) throws InterruptedException
    {
        return tornDown.await(timeout, unit);
    }

    private void spawn()
    {
        idle.incrementAndGet();
        live.incrementAndGet();
        final Thread t = new Thread(this::work, "fuse-" + started.incrementAndGet());
        t.setDaemon(true);
        t.start();
    }

    /**
     * The opcode of the request just received, if it is in memory (not spliced into a pipe) and holds at least its
     * header; else -1 (libfuse processes it).
     */
    private static int opcode(final Pointer buf, final long request)
    {
        return buf.getInt(FUSE_BUF_FLAGS) == 0 && buf.getLong(FUSE_BUF_SIZE_OFFSET) >= IN_HEADER_SIZE
            ? UnsafeApi.getInt(request + IN_HEADER_OPCODE) : -1;
    }

    /**
     * Answers the {@code FUSE_READ} at {@code request} through the {@link ReadHandler}, bypassing libfuse's dispatch
     * (which would look up the path and call the operations struct's {@code read} into a buffer it allocates).
     * libfuse keeps no state for a read it did not dispatch; a {@code FUSE_INTERRUPT} for one finds no request and
     * is answered {@code EAGAIN} by libfuse, after which the kernel drops it once the read has been answered.
     */
    private void answerRead(final long request, final FuseReadReply reply)
    {
        final int size = UnsafeApi.getInt(request + READ_IN_SIZE);
        reply.begin(UnsafeApi.getLong(request + IN_HEADER_UNIQUE), size);
        int result;
        try
        {
            result = readHandler.read(UnsafeApi.getLong(request + READ_IN_FH), UnsafeApi.getLong(request + READ_IN_OFFSET),
                size, reply);
        }
        catch (final Throwable t)
        {
            LOG.error("FUSE read handler failed: replying EIO", t);
            result = -EIO;
        }
        reply.finish(result);
    }

    /** A worker: receive a request, process it (the filesystem's callback runs here), until the session ends. */
    private void work()
    {
        final Pointer data = Memory.allocateDirect(runtime, (int)bufferSize);
        final Pointer buf = Memory.allocateDirect(runtime, FUSE_BUF_STRUCT_SIZE, true);
        final Pointer channelRef = Memory.allocateDirect(runtime, Long.BYTES, true);
        final FuseReadReply reply = readHandler == null ? null : new FuseReadReply(fd, takenReplies, copiedReplies);
        boolean counted = true; // this worker is in idle
        try
        {
            while (lib.fuse_session_exited(session) == 0)
            {
                buf.putLong(FUSE_BUF_SIZE_OFFSET, bufferSize); // fuse_ll_receive_buf overwrites it with the bytes received
                buf.putInt(FUSE_BUF_FLAGS, 0);
                buf.putAddress(FUSE_BUF_MEM, data.address());
                buf.putInt(FUSE_BUF_FD, 0);
                buf.putLong(FUSE_BUF_POS, 0);
                channelRef.putAddress(0, channel.address());
                final int res = lib.fuse_session_receive_buf(session, buf, channelRef);
                if (res == -EINTR)
                {
                    continue;
                }
                if (res <= 0)
                {
                    if (res < 0)
                    {
                        lib.fuse_session_exit(session);
                    }
                    break;
                }
                counted = false;
                if (idle.decrementAndGet() == 0)
                {
                    spawn(); // every worker busy: one more waits for the next request
                }
                final int opcode = opcode(buf, data.address());
                if (opcode == FUSE_INIT)
                {
                    // the session's first request: nothing else arrives before it is answered
                    negotiatedMaxPages = InitReplyMaxPages.process(maxPages, data.address(), channel, session,
                        bufferSize, fd, () -> lib.fuse_session_process_buf(session, buf, channel));
                    initialised.countDown();
                }
                else if (opcode == FUSE_READ && reply != null && buf.getLong(FUSE_BUF_SIZE_OFFSET) >= READ_IN_NEEDED)
                {
                    answerRead(data.address(), reply);
                }
                else
                {
                    lib.fuse_session_process_buf(session, buf, channel); // one channel per session in libfuse 2
                }
                counted = true;
                if (idle.incrementAndGet() > MAX_IDLE_WORKERS)
                {
                    return;
                }
            }
        }
        catch (final Throwable t)
        {
            LOG.error("FUSE worker {} failed; ending the session", Thread.currentThread().getName(), t);
            lib.fuse_session_exit(session);
        }
        finally
        {
            if (reply != null)
            {
                reply.close();
            }
            if (counted)
            {
                idle.decrementAndGet();
            }
            if (live.decrementAndGet() == 0 && lib.fuse_session_exited(session) != 0)
            {
                lib.fuse_teardown(fuse, mountPointString);
                tornDown.countDown();
            }
        }
    }
}
