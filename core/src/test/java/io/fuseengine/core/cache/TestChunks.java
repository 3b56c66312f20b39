package io.fuseengine.core.cache;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/** Test content and native buffers: the byte at position p of a file is a pure function of (seed, p). */
final class TestChunks
{
    private TestChunks()
    {
    }

    static byte at(final long seed, final long pos)
    {
        long z = seed * 0x9E3779B97F4A7C15L + pos;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return (byte)(z ^ (z >>> 31));
    }

    /** A distinct, valid info hash per n. */
    static String infoHash(final int n)
    {
        return String.format("%08x", n).repeat(5);
    }

    static CacheFileIdentity file(final int n, final long length)
    {
        return CacheFileIdentity.of(infoHash(n), n % 7, length);
    }

    /** The content seed of a file: differs for every identity. */
    static long seedOf(final CacheFileIdentity file)
    {
        return file.fileKey() ^ file.fileIndex();
    }

    /** A page-aligned native buffer. */
    static UnsafeBuffer nativeBuffer(final int length)
    {
        return new UnsafeBuffer(BufferUtil.allocateDirectAligned(Math.max(length, 64), 4096));
    }

    /** The whole content of a file, on heap (the reference readers compare with). */
    static byte[] content(final CacheFileIdentity file)
    {
        final long seed = seedOf(file);
        final byte[] b = new byte[(int)file.fileLength()];
        for (int i = 0; i < b.length; i++)
        {
            b[i] = at(seed, i);
        }
        return b;
    }

    /** Puts chunk {@code chunkIndex} of {@code file}, with its generated content, through native memory. */
    static boolean putChunk(final ChunkCache cache, final CacheFileIdentity file, final long chunkIndex, final UnsafeBuffer scratch)
    {
        final int length = (int)cache.expectedChunkLength(file, chunkIndex);
        final long start = chunkIndex * cache.config().chunkSize();
        final long seed = seedOf(file);
        for (int i = 0; i < length; i++)
        {
            scratch.putByte(i, at(seed, start + i));
        }
        return cache.put(file, chunkIndex, scratch.addressOffset(), length);
    }

    /** Puts every chunk of a file. */
    static void putFile(final ChunkCache cache, final CacheFileIdentity file, final UnsafeBuffer scratch)
    {
        final long chunks = (file.fileLength() + cache.config().chunkSize() - 1) / cache.config().chunkSize();
        for (long c = 0; c < chunks; c++)
        {
            if (!putChunk(cache, file, c, scratch))
            {
                throw new AssertionError("put refused: chunk " + c + " of " + file);
            }
        }
    }

    /** @return the first position where {@code dest[0, length)} differs from the file at {@code offset}, or -1. */
    static long firstMismatch(final UnsafeBuffer dest, final int length, final CacheFileIdentity file, final long offset)
    {
        final long seed = seedOf(file);
        for (int i = 0; i < length; i++)
        {
            if (dest.getByte(i) != at(seed, offset + i))
            {
                return offset + i;
            }
        }
        return -1;
    }
}
