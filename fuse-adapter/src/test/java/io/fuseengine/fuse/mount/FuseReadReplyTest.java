package io.fuseengine.fuse.mount;

import io.fuseengine.core.errno.Errno;
import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.Out;
import org.agrona.UnsafeApi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.LongAdder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The bytes a {@link FuseReadReply} writes, read back from a pipe standing in for {@code /dev/fuse}: one reply per
 * read, laid out as {@code fuse_out_header} then data.
 */
class FuseReadReplyTest
{
    /** The libc calls the test needs to make and read a pipe. */
    public interface Pipes
    {
        int pipe(@Out int[] fds);

        long read(int fd, @Out byte[] buf, long count);

        long write(int fd, byte[] buf, long count);

        int close(int fd);
    }

    private static final Pipes LIBC = LibraryLoader.create(Pipes.class).failImmediately().load("c");
    private static final byte[] MARK = {'e', 'n', 'd'};

    private final int[] fds = new int[2];
    private final LongAdder taken = new LongAdder();
    private final LongAdder copied = new LongAdder();
    private FuseReadReply reply;
    private long source;

    @BeforeEach
    void openPipe()
    {
        assertThat(LIBC.pipe(fds)).isZero();
        reply = new FuseReadReply(fds[1], taken, copied);
        source = UnsafeApi.allocateMemory(4096);
        for (int i = 0; i < 4096; i++)
        {
            UnsafeApi.putByte(source + i, (byte)(i * 7 + 3));
        }
    }

    @AfterEach
    void closePipe()
    {
        reply.close();
        UnsafeApi.freeMemory(source);
        LIBC.close(fds[0]);
        LIBC.close(fds[1]);
    }

    @Test
    void takenBytesAreWrittenOnceAfterAHeaderCarryingTheRequestsUnique()
    {
        reply.begin(0x1122_3344_5566L, 4096);
        reply.take(source + 100, 1000);
        reply.finish(1000);

        final ByteBuffer got = readReply(16 + 1000);
        assertThat(got.getInt(0)).as("len").isEqualTo(16 + 1000);
        assertThat(got.getInt(4)).as("error").isZero();
        assertThat(got.getLong(8)).as("unique").isEqualTo(0x1122_3344_5566L);
        for (int i = 0; i < 1000; i++)
        {
            assertThat(got.get(16 + i)).isEqualTo((byte)((100 + i) * 7 + 3));
        }
        assertOnlyTheMarkFollows();
        assertThat(taken.sum()).isEqualTo(1);
        assertThat(copied.sum()).isZero();
    }

    @Test
    void bytesCopiedIntoTheDestinationAreWrittenWhenTheReadFinishes()
    {
        reply.begin(9, 4096);
        final long room = reply.destination(300);
        UnsafeApi.copyMemory(source, room, 300);
        assertThat(reply.destination(200)).as("the same room when asked for no more").isEqualTo(room);
        reply.finish(250);

        final ByteBuffer got = readReply(16 + 250);
        assertThat(got.getInt(0)).isEqualTo(16 + 250);
        assertThat(got.getInt(4)).isZero();
        assertThat(got.getLong(8)).isEqualTo(9);
        for (int i = 0; i < 250; i++)
        {
            assertThat(got.get(16 + i)).isEqualTo((byte)(i * 7 + 3));
        }
        assertOnlyTheMarkFollows();
        assertThat(copied.sum()).isEqualTo(1);
    }

    @Test
    void errorsAndEndOfFileAreAHeaderAlone()
    {
        reply.begin(11, 4096);
        reply.finish(-Errno.EIO);
        ByteBuffer got = readReply(16);
        assertThat(got.getInt(0)).isEqualTo(16);
        assertThat(got.getInt(4)).isEqualTo(-Errno.EIO);
        assertThat(got.getLong(8)).isEqualTo(11);

        reply.begin(12, 4096);
        reply.finish(0);
        got = readReply(16);
        assertThat(got.getInt(0)).isEqualTo(16);
        assertThat(got.getInt(4)).isZero();
        assertThat(got.getLong(8)).isEqualTo(12);
        assertOnlyTheMarkFollows();
        assertThat(copied.sum()).as("end of file is not a copied reply").isZero();
    }

    @Test
    void aResultWithoutBytesBehindItOrLargerThanAskedIsAnsweredEio()
    {
        reply.begin(13, 4096);
        reply.finish(100); // no destination was asked for: there are no bytes to send
        ByteBuffer got = readReply(16);
        assertThat(got.getInt(4)).isEqualTo(-Errno.EIO);

        reply.begin(14, 100);
        reply.destination(200);
        reply.finish(200); // more than the kernel asked for
        got = readReply(16);
        assertThat(got.getInt(4)).isEqualTo(-Errno.EIO);
        assertThat(got.getLong(8)).isEqualTo(14);

        reply.begin(15, 100);
        assertThatThrownBy(() -> reply.take(source, 200)).isInstanceOf(IllegalStateException.class);
        reply.finish(-Errno.EIO); // the handler's failure path: already answered, nothing more is written
        got = readReply(16);
        assertThat(got.getInt(4)).isEqualTo(-Errno.EIO);
        assertThat(got.getLong(8)).isEqualTo(15);
        assertOnlyTheMarkFollows();
    }

    @Test
    void aSecondTakeForOneReadIsRefusedWithoutWritingAgain()
    {
        reply.begin(16, 4096);
        reply.take(source, 10);
        assertThatThrownBy(() -> reply.take(source, 10)).isInstanceOf(IllegalStateException.class);
        reply.finish(10);
        assertThat(readReply(16 + 10).getInt(0)).isEqualTo(26);
        assertOnlyTheMarkFollows();
    }

    private ByteBuffer readReply(final int length)
    {
        final byte[] buf = new byte[length];
        assertThat(LIBC.read(fds[0], buf, length)).as("one reply of %d bytes", length).isEqualTo(length);
        return ByteBuffer.wrap(buf).order(ByteOrder.nativeOrder());
    }

    /** Writes a mark after the replies and reads it back next: nothing else was written. */
    private void assertOnlyTheMarkFollows()
    {
        assertThat(LIBC.write(fds[1], MARK, MARK.length)).isEqualTo(MARK.length);
        final byte[] buf = new byte[64];
        assertThat(LIBC.read(fds[0], buf, buf.length)).isEqualTo(MARK.length);
        assertThat(new String(buf, 0, MARK.length)).isEqualTo("end");
    }
}
