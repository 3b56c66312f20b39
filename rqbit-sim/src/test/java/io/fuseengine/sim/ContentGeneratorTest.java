package io.fuseengine.sim;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ContentGeneratorTest {

    @Test
    void shouldFillArrayWithTheSameBytesAsByteAtAtAnyAlignment() {
        for (long pos : new long[] {0, 1, 7, 8, 13, 1L << 33}) {
            for (int len : new int[] {0, 1, 5, 8, 17, 1000}) {
                byte[] dst = new byte[len + 6];
                ContentGenerator.fill(42, pos, dst, 3, len);
                for (int i = 0; i < len; i++) {
                    assertThat(dst[3 + i]).as("pos %d + %d", pos, i).isEqualTo(ContentGenerator.byteAt(42, pos + i));
                }
                assertThat(dst[0]).isZero();
                assertThat(dst[len + 5]).isZero();
            }
        }
    }

    @Test
    void shouldFillByteBufWithTheSameBytesAsByteAt() {
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(4096);
        try {
            buf.writeByte(0x55);
            ContentGenerator.fill(7, 3, buf, 1001);
            assertThat(buf.readableBytes()).isEqualTo(1002);
            byte[] got = io.netty.buffer.ByteBufUtil.getBytes(buf);
            assertThat(got[0]).isEqualTo((byte) 0x55);
            for (int i = 0; i < 1001; i++) {
                assertThat(got[1 + i]).isEqualTo(ContentGenerator.byteAt(7, 3 + i));
            }
        } finally {
            buf.release();
        }
    }

    @Test
    void shouldFillHeapByteBufThroughItsArray() {
        ByteBuf buf = io.netty.buffer.Unpooled.buffer(16);
        ContentGenerator.fill(5, 11, buf, 100);
        byte[] expected = new byte[100];
        ContentGenerator.fill(5, 11, expected, 0, 100);
        assertThat(io.netty.buffer.ByteBufUtil.getBytes(buf)).isEqualTo(expected);
    }

    @Test
    void shouldDependOnSeedAndPosition() {
        byte[] a = new byte[64];
        byte[] b = new byte[64];
        byte[] c = new byte[64];
        ContentGenerator.fill(1, 0, a, 0, 64);
        ContentGenerator.fill(2, 0, b, 0, 64);
        ContentGenerator.fill(1, 64, c, 0, 64);
        assertThat(a).isNotEqualTo(b).isNotEqualTo(c);
        byte[] again = new byte[64];
        ContentGenerator.fill(1, 0, again, 0, 64);
        assertThat(again).isEqualTo(a);
    }

    @Test
    void shouldFillFasterThanHalfAGigabytePerSecond() {
        byte[] buf = new byte[1 << 20];
        for (int warm = 0; warm < 200; warm++) {
            ContentGenerator.fill(9, (long) warm << 20, buf, 0, buf.length);
        }
        long t0 = System.nanoTime();
        int mib = 512;
        for (int i = 0; i < mib; i++) {
            ContentGenerator.fill(9, (long) i << 20, buf, 0, buf.length);
        }
        double gbPerS = (mib * (double) (1 << 20)) / (System.nanoTime() - t0);
        // ≥ 1 GB/s on an idle machine; the bound is loose because test machines are shared
        assertThat(gbPerS).isGreaterThan(0.5);
    }
}
