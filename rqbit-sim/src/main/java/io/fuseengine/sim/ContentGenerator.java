package io.fuseengine.sim;

import io.netty.buffer.ByteBuf;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Deterministic, stateless pseudo-random content: byte {@code pos} of stream {@code seed} is byte
 * {@code pos & 7} (little-endian) of a SplitMix64 mix of {@code (seed, pos >>> 3)}. Any thread.
 */
public final class ContentGenerator {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    private static final long SEED_MIX = 0xD1B54A32D192ED03L;
    private static final VarHandle LONG_LE =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private ContentGenerator() {
    }

    /** The 8-byte word holding bytes {@code [8*index, 8*index+8)} of stream {@code seed}. */
    static long word(long seed, long index) {
        long z = seed * SEED_MIX + (index + 1) * GOLDEN;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public static byte byteAt(long seed, long pos) {
        if (pos < 0) {
            throw new IllegalArgumentException("negative position " + pos);
        }
        return (byte) (word(seed, pos >>> 3) >>> ((pos & 7) << 3));
    }

    public static void fill(long seed, long pos, byte[] dst, int off, int len) {
        if (pos < 0 || off < 0 || len < 0 || off + len > dst.length) {
            throw new IndexOutOfBoundsException("pos=" + pos + " off=" + off + " len=" + len);
        }
        int i = off;
        int end = off + len;
        long p = pos;
        while (i < end && (p & 7) != 0) {
            dst[i++] = byteAt(seed, p++);
        }
        long index = p >>> 3;
        while (end - i >= 8) {
            LONG_LE.set(dst, i, word(seed, index++));
            i += 8;
        }
        p = index << 3;
        while (i < end) {
            dst[i++] = byteAt(seed, p++);
        }
    }

    /**
     * Writes {@code len} bytes at the writer index of {@code dst} (growing it if needed). Works on one NIO view of the
     * buffer (or its backing array), so leak-detecting wrappers record one access, not one per word.
     */
    public static void fill(long seed, long pos, ByteBuf dst, int len) {
        if (pos < 0 || len < 0) {
            throw new IndexOutOfBoundsException("pos=" + pos + " len=" + len);
        }
        dst.ensureWritable(len);
        int w = dst.writerIndex();
        if (dst.hasArray()) {
            fill(seed, pos, dst.array(), dst.arrayOffset() + w, len);
        } else if (dst.nioBufferCount() == 1) {
            fill(seed, pos, dst.internalNioBuffer(w, len).slice().order(ByteOrder.LITTLE_ENDIAN));
        } else {
            byte[] tmp = new byte[len];
            fill(seed, pos, tmp, 0, len);
            dst.setBytes(w, tmp);
        }
        dst.writerIndex(w + len);
    }

    /** Fills {@code dst} from its position to its limit; {@code dst} must be little-endian. */
    private static void fill(long seed, long pos, ByteBuffer dst) {
        int i = 0;
        int end = dst.remaining();
        long p = pos;
        while (i < end && (p & 7) != 0) {
            dst.put(i++, byteAt(seed, p++));
        }
        long index = p >>> 3;
        while (end - i >= 8) {
            dst.putLong(i, word(seed, index++));
            i += 8;
        }
        p = index << 3;
        while (i < end) {
            dst.put(i++, byteAt(seed, p++));
        }
    }
}
