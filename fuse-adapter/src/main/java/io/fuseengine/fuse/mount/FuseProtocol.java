package io.fuseengine.fuse.mount;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.types.intptr_t;
import jnr.ffi.types.ssize_t;

/**
 * The kernel's FUSE wire format (linux/fuse.h, protocol 7.x on LP64) and libfuse 2.9's structs, as far as this
 * package reads or writes them itself instead of through libfuse, and the one system call it writes replies with.
 * Layout constants live here and nowhere else.
 */
final class FuseProtocol
{
    /** {@code FUSE_READ} opcode. */
    static final int FUSE_READ = 15;
    /** {@code FUSE_INIT} opcode. */
    static final int FUSE_INIT = 26;

    /** {@code struct fuse_in_header}: u32 len, u32 opcode, u64 unique, u64 nodeid, u32 uid, gid, pid, padding. */
    static final int IN_HEADER_LEN = 0;
    static final int IN_HEADER_OPCODE = 4;
    static final int IN_HEADER_UNIQUE = 8;
    static final int IN_HEADER_SIZE = 40;

    /**
     * {@code struct fuse_read_in} after the in-header: u64 fh, u64 offset, u32 size, u32 read_flags, then (7.9+)
     * u64 lock_owner, u32 flags, u32 padding. Only the first three fields are read.
     */
    static final int READ_IN_FH = IN_HEADER_SIZE;
    static final int READ_IN_OFFSET = IN_HEADER_SIZE + 8;
    static final int READ_IN_SIZE = IN_HEADER_SIZE + 16;
    /** Bytes of a READ request this package needs: the in-header and {@code fh}, {@code offset}, {@code size}. */
    static final int READ_IN_NEEDED = IN_HEADER_SIZE + 20;

    /** {@code struct fuse_init_in}: u32 major, minor, max_readahead, flags. */
    static final int INIT_IN_FLAGS = IN_HEADER_SIZE + 12;

    /** INIT flag: {@code fuse_init_out.max_pages} is valid (kernel ≥ 4.20). */
    static final int FUSE_MAX_PAGES = 1 << 22;
    /** The kernel's largest {@code max_pages} by default ({@code fs.fuse.max_pages_limit}). */
    static final int KERNEL_MAX_PAGES = 256;

    /**
     * {@code struct fuse_init_out}: u32 major, minor, max_readahead, flags; u16 max_background, congestion_threshold;
     * u32 max_write (the end of libfuse 2.9's, protocol 7.19), time_gran (7.23); u16 max_pages, map_alignment (7.28).
     */
    static final int INIT_OUT_FLAGS = 12;
    static final int LIBFUSE_INIT_OUT_SIZE = 24;
    static final int INIT_OUT_MAX_PAGES = 28;
    static final int INIT_OUT_SIZE = 32;
    /**
     * libfuse 2.9's {@code struct fuse_chan} on LP64: {@code struct fuse_chan_ops op} (receive, send, destroy),
     * {@code struct fuse_session *se}, {@code int fd}, {@code size_t bufsize}, ...
     */
    static final int CHAN_OP_SEND = 8;
    static final int CHAN_SESSION = 24;
    static final int CHAN_FD = 32;
    static final int CHAN_BUFSIZE = 40;

    /** {@code struct fuse_out_header}: u32 len, s32 error (a negated errno), u64 unique. */
    static final int OUT_HEADER_LEN = 0;
    static final int OUT_HEADER_ERROR = 4;
    static final int OUT_HEADER_UNIQUE = 8;
    static final int OUT_HEADER_SIZE = 16;

    /** {@code struct iovec}: void *iov_base, size_t iov_len. */
    static final int IOVEC_BASE = 0;
    static final int IOVEC_LEN = 8;
    static final int IOVEC_SIZE = 16;

    /** {@code struct fuse_buf} of libfuse 2.9: size_t size @0, int flags @8, void *mem @16, int fd @24, off_t pos @32. */
    static final int FUSE_BUF_SIZE_OFFSET = 0;
    static final int FUSE_BUF_FLAGS = 8;
    static final int FUSE_BUF_MEM = 16;
    static final int FUSE_BUF_FD = 24;
    static final int FUSE_BUF_POS = 32;
    static final int FUSE_BUF_STRUCT_SIZE = 40;

    private FuseProtocol()
    {
    }

    /** libc's {@code writev}. */
    public interface LibC
    {
        @ssize_t long writev(int fd, @intptr_t long iov, int count);
    }

    private static final class LibCHolder
    {
        static final LibC LIBC = LibraryLoader.create(LibC.class).failImmediately().load("c");
    }

    /**
     * {@code writev(fd, iov, count)}, as libfuse's {@code fuse_kern_chan_send} writes a reply to {@code /dev/fuse}.
     *
     * @return bytes written, or the negated errno ({@code -ENOENT}: the request was interrupted and is gone).
     */
    static long writev(final int fd, final long iov, final int count)
    {
        final long written = LibCHolder.LIBC.writev(fd, iov, count);
        return written < 0 ? -Runtime.getSystemRuntime().getLastError() : written;
    }
}
