package io.fuseengine.fuse.fs;

import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import jnr.ffi.annotations.Delegate;
import jnr.ffi.types.intptr_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import org.agrona.UnsafeApi;
import ru.serce.jnrfuse.struct.FuseOperations;

/**
 * libfuse 2's {@code read} operation with every argument as a raw 64-bit value: no {@code String} decoded from the
 * path, no {@code Pointer} objects, no {@code FuseFileInfo} struct (jnr-fuse builds one of ~15 objects on every
 * read: about 5 % of a FUSE thread's CPU on the cache-hit path in the profile, and most of the garbage a read makes
 * before C2 has compiled it). On LP64 platforms a pointer, {@code size_t} and {@code off_t} are all passed as 64-bit
 * integers, so the native signature is the same as libfuse's
 * {@code int (*read)(const char *, char *, size_t, off_t, struct fuse_file_info *)}.
 * <p>
 * Threads: {@link #read} is called on FUSE worker threads, many at once; {@link #install} by the owner before
 * mounting.
 */
@FunctionalInterface
public interface RawReadCallback
{
    /**
     * Byte offset of {@code fh} in libfuse 2.9's {@code struct fuse_file_info} on LP64 (after {@code int flags},
     * {@code unsigned long fh_old}, {@code int writepage} and the bitfield int).
     */
    int FILE_INFO_FH_OFFSET = 24;

    /**
     * @param path     address of the NUL-terminated path (only to be decoded for a log line).
     * @param buf      address of FUSE's reply buffer, at least {@code size} bytes.
     * @param size     bytes asked for.
     * @param offset   file offset.
     * @param fileInfo address of the {@code struct fuse_file_info} (see {@link #fileHandle}).
     * @return bytes read or a negated errno.
     */
    @Delegate
    int read(@intptr_t long path, @intptr_t long buf, @size_t long size, @off_t long offset, @intptr_t long fileInfo);

    /**
     * FUSE thread: the {@code fh} the open callback stored.
     *
     * @param fileInfo address of a {@code struct fuse_file_info}, or 0 (libfuse passes none).
     * @return its {@code fh}; 0 (never an open file's handle) for no struct.
     */
    static long fileHandle(final long fileInfo)
    {
        return fileInfo == 0 ? 0 : UnsafeApi.getLong(fileInfo + FILE_INFO_FH_OFFSET);
    }

    /**
     * Owner thread, before mounting: makes {@code operations}' {@code read} entry call {@code callback} instead of
     * the closure jnr-fuse installed. Keep both {@code callback} and the returned pointer strongly reachable for as
     * long as the filesystem is mounted: the pointer holds the native closure, and the closure holds {@code callback}
     * only weakly (jnr-ffi); a collected callback makes the closure return 0, which FUSE reads as end of file.
     *
     * @param operations the operations struct handed to libfuse ({@code fuse_setup}).
     * @param callback   the read callback.
     * @return the native closure pointer, or null (nothing changed) where pointers are not 64-bit.
     */
    static Pointer install(final FuseOperations operations, final RawReadCallback callback)
    {
        final Runtime runtime = Runtime.getSystemRuntime();
        if (runtime.addressSize() != Long.BYTES)
        {
            return null;
        }
        final Pointer closure = runtime.getClosureManager().getClosurePointer(RawReadCallback.class, callback);
        Struct.getMemory(operations).putPointer(operations.read.offset(), closure);
        return closure;
    }
}
