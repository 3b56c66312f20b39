package io.fuseengine.fuse.mount;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.Delegate;
import jnr.ffi.types.intptr_t;
import jnr.ffi.types.size_t;
import org.agrona.UnsafeApi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;


import static io.fuseengine.fuse.mount.FuseProtocol.CHAN_BUFSIZE;
import static io.fuseengine.fuse.mount.FuseProtocol.CHAN_FD;
import static io.fuseengine.fuse.mount.FuseProtocol.CHAN_OP_SEND;
import static io.fuseengine.fuse.mount.FuseProtocol.CHAN_SESSION;
import static io.fuseengine.core.errno.Errno.EIO;
import static io.fuseengine.fuse.mount.FuseProtocol.FUSE_MAX_PAGES;
import static io.fuseengine.fuse.mount.FuseProtocol.INIT_IN_FLAGS;
import static io.fuseengine.fuse.mount.FuseProtocol.INIT_OUT_FLAGS;
import static io.fuseengine.fuse.mount.FuseProtocol.INIT_OUT_MAX_PAGES;
import static io.fuseengine.fuse.mount.FuseProtocol.INIT_OUT_SIZE;
import static io.fuseengine.fuse.mount.FuseProtocol.IN_HEADER_UNIQUE;
import static io.fuseengine.fuse.mount.FuseProtocol.IOVEC_SIZE;
import static io.fuseengine.fuse.mount.FuseProtocol.KERNEL_MAX_PAGES;
import static io.fuseengine.fuse.mount.FuseProtocol.LIBFUSE_INIT_OUT_SIZE;
import static io.fuseengine.fuse.mount.FuseProtocol.OUT_HEADER_ERROR;
import static io.fuseengine.fuse.mount.FuseProtocol.OUT_HEADER_SIZE;
import static io.fuseengine.fuse.mount.FuseProtocol.OUT_HEADER_UNIQUE;

/**
 * Lets a libfuse 2 session take reads larger than 128 KiB: answers the kernel's {@code FUSE_INIT} with
 * {@code FUSE_MAX_PAGES} and a {@code max_pages}, which libfuse 2.9 predates (kernel 4.20, libfuse 3.6). Without
 * it the kernel splits every read into 32-page (128 KiB) requests, and each costs a {@code /dev/fuse} round trip
 * and a callback; a 1 GiB sequential read is 8 192 of them.
 * <p>
 * How: while libfuse processes the INIT request, the channel's {@code send} operation ({@code struct fuse_chan}'s
 * {@code op.send}) is pointed at {@link #send}, which adds the flag and the page count to libfuse's
 * {@code fuse_init_out} and writes the reply to {@code /dev/fuse} itself ({@code writev}, as libfuse's own send
 * does). The original {@code send} is put back before that reply is written: no other request reaches the session
 * before INIT is answered, so no other reply can pass through the replacement (and one whose {@code unique} is not
 * INIT's would be written unchanged). Nothing is changed unless the
 * channel's layout is the one this class knows (checked against libfuse's accessors) and the kernel offered
 * {@code FUSE_MAX_PAGES} in its request; otherwise the session keeps 128 KiB reads and says so in the log.
 * The mount also needs {@code max_read} at least as large ({@link FuseMount} passes it).
 * <p>
 * Threads: {@link #process} is called by the one FUSE worker that received the session's first request; no other
 * request can arrive (and nothing else is sent) before INIT is answered.
 */
final class InitReplyMaxPages
{
    private static final Logger LOG = LoggerFactory.getLogger(InitReplyMaxPages.class);

    /** libfuse 2's {@code int (*send)(struct fuse_chan *, const struct iovec iov[], size_t count)}. */
    @FunctionalInterface
    public interface ChannelSend
    {
        @Delegate
        int send(@intptr_t long channel, @intptr_t long iov, @size_t long count);
    }

    private final int maxPages;
    private final int fd;
    /** Held while the closure may be called (jnr's closure refers to its callback only weakly). */
    private final ChannelSend callback = this::send;
    /** The reply written instead of libfuse's: two iovecs, then the extended {@code fuse_init_out}. */
    private final Pointer replyIov = Memory.allocateDirect(Runtime.getSystemRuntime(), 2 * IOVEC_SIZE + INIT_OUT_SIZE, true);
    /** The INIT request's {@code unique}: only the reply carrying it is extended. */
    private final long initUnique;
    /** The channel, and libfuse's own send, put back before the INIT reply is written. */
    private final long channel;
    private final long originalSend;
    private volatile boolean patched;

    private InitReplyMaxPages(final int maxPages, final int fd, final long initUnique, final long channel,
        final long originalSend)
    {
        this.maxPages = maxPages;
        this.fd = fd;
        this.initUnique = initUnique;
        this.channel = channel;
        this.originalSend = originalSend;
    }

    /**
     * FUSE worker, the session's {@code FUSE_INIT} only (its caller checks the opcode): processes {@code request}
     * with libfuse ({@code process}), answering it with {@code max_pages} when the kernel and the channel allow it.
     *
     * @param maxPages  pages per request to ask for, in [2, {@link FuseProtocol#KERNEL_MAX_PAGES}]; below 2: process unchanged.
     * @param request   address of the {@code FUSE_INIT} request as received ({@code fuse_buf.mem}).
     * @param channel   the session's channel.
     * @param session   the session (to check the channel's layout).
     * @param bufSize   {@code fuse_chan_bufsize(channel)} (to check the channel's layout).
     * @param chanFd    {@code fuse_chan_fd(channel)} (to check the channel's layout).
     * @param process   runs libfuse's processing of the request.
     * @return the page count the reply carried, or 0 (unchanged: 32 pages).
     */
    static int process(final int maxPages, final long request, final Pointer channel, final Pointer session,
        final long bufSize, final int chanFd, final Runnable process)
    {
        if (maxPages < 2)
        {
            process.run();
            return 0;
        }
        final long ch = channel.address();
        if (UnsafeApi.getLong(ch + CHAN_SESSION) != session.address() || UnsafeApi.getInt(ch + CHAN_FD) != chanFd
            || UnsafeApi.getLong(ch + CHAN_BUFSIZE) != bufSize)
        {
            LOG.warn("libfuse's channel is not laid out as libfuse 2.9's: FUSE reads stay at most 128 KiB");
            process.run();
            return 0;
        }
        if ((UnsafeApi.getInt(request + INIT_IN_FLAGS) & FUSE_MAX_PAGES) == 0)
        {
            LOG.info("the kernel does not offer FUSE_MAX_PAGES: FUSE reads stay at most 128 KiB");
            process.run();
            return 0;
        }
        final long originalSend = UnsafeApi.getLong(ch + CHAN_OP_SEND);
        final InitReplyMaxPages patch = new InitReplyMaxPages(Math.min(maxPages, KERNEL_MAX_PAGES), chanFd,
            UnsafeApi.getLong(request + IN_HEADER_UNIQUE), ch, originalSend);
        final Runtime runtime = Runtime.getSystemRuntime();
        final Pointer closure = runtime.getClosureManager().getClosurePointer(ChannelSend.class, patch.callback);
        UnsafeApi.putLongVolatile(null, ch + CHAN_OP_SEND, closure.address());
        try
        {
            process.run();
        }
        finally
        {
            UnsafeApi.putLongVolatile(null, ch + CHAN_OP_SEND, originalSend);
        }
        if (!patch.patched)
        {
            LOG.warn("libfuse's INIT reply was not recognised: FUSE reads stay at most 128 KiB");
            return 0;
        }
        LOG.info("FUSE reads of up to {} KiB negotiated (max_pages {})", patch.maxPages * 4, patch.maxPages);
        return patch.maxPages;
    }

    /**
     * libfuse's send while INIT is processed: libfuse 2.9 speaks protocol 7.19, whose {@code fuse_init_out} ends
     * after {@code max_write} (24 bytes); the reply written instead is libfuse's, extended to {@code max_pages} (the
     * kernel takes a shorter reply than its own struct and reads the missing fields as 0). libfuse's own send is put
     * back before that reply is written, so every request the kernel sends after it is answered by libfuse alone;
     * anything else sent meanwhile (nothing, in practice) is written unchanged.
     */
    private int send(final long ch, final long iov, final long count)
    {
        final long header = UnsafeApi.getLong(iov);
        if (!patched && count == 2 && UnsafeApi.getLong(header + OUT_HEADER_UNIQUE) == initUnique
            && UnsafeApi.getInt(header + OUT_HEADER_ERROR) == 0
            && UnsafeApi.getLong(iov + IOVEC_SIZE + Long.BYTES) == LIBFUSE_INIT_OUT_SIZE)
        {
            UnsafeApi.putLongVolatile(null, channel + CHAN_OP_SEND, originalSend);
            final long reply = replyIov.address();
            final long out = reply + 2 * IOVEC_SIZE;
            UnsafeApi.copyMemory(UnsafeApi.getLong(iov + IOVEC_SIZE), out, LIBFUSE_INIT_OUT_SIZE);
            UnsafeApi.setMemory(out + LIBFUSE_INIT_OUT_SIZE, INIT_OUT_SIZE - LIBFUSE_INIT_OUT_SIZE, (byte)0);
            UnsafeApi.putInt(out + INIT_OUT_FLAGS, UnsafeApi.getInt(out + INIT_OUT_FLAGS) | FUSE_MAX_PAGES);
            UnsafeApi.putShort(out + INIT_OUT_MAX_PAGES, (short)maxPages);
            UnsafeApi.putInt(header, OUT_HEADER_SIZE + INIT_OUT_SIZE); // fuse_out_header.len
            UnsafeApi.putLong(reply, header);
            UnsafeApi.putLong(reply + Long.BYTES, OUT_HEADER_SIZE);
            UnsafeApi.putLong(reply + IOVEC_SIZE, out);
            UnsafeApi.putLong(reply + IOVEC_SIZE + Long.BYTES, INIT_OUT_SIZE);
            final long written = FuseProtocol.writev(fd, reply, 2);
            patched = written == OUT_HEADER_SIZE + INIT_OUT_SIZE;
            return patched ? 0 : -EIO;
        }
        // as libfuse's fuse_kern_chan_send: 0, or the negated errno (ENOENT: the request was interrupted)
        final long written = FuseProtocol.writev(fd, iov, (int)count);
        return written < 0 ? (int)written : 0;
    }
}
