package io.fuseengine.fuse.mount;

import io.fuseengine.fuse.fs.LeanFuseFs;
import jnr.ffi.Pointer;
import jnr.ffi.types.off_t;
import org.agrona.UnsafeApi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import ru.serce.jnrfuse.ErrorCodes;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Reads larger than libfuse 2's 128 KiB through a real mount ({@link InitReplyMaxPages}): with {@code max_read}
 * above 128 KiB the session loop answers INIT with {@code max_pages}, and with the mount's read-ahead raised the
 * kernel then sends 1 MiB reads, every byte in its place; with {@code max_read=131072} libfuse's own INIT reply is
 * left alone. Raising read-ahead needs root (as in CI); without root the size checks are skipped.
 */
@Timeout(60)
class LargeReadMountTest
{
    private static final int MIB = 1024 * 1024;
    private static final long FILE_SIZE = 12L * MIB + 12_345;

    @TempDir
    Path tmp;
    private PatternFs fs;

    @AfterEach
    void unmount() throws Exception
    {
        if (fs != null)
        {
            final FuseSessionLoop loop = fs.sessionLoop();
            fs.umount();
            if (loop != null)
            {
                assertThat(loop.awaitTeardown(10, TimeUnit.SECONDS)).isTrue();
            }
        }
    }

    @Test
    void shouldNegotiateOneMebibyteReadsWhenMaxReadAllowsThem() throws Exception
    {
        final Path mnt = mount("max_read=" + FuseMount.MAX_READ_BYTES);
        assertThat(fs.sessionLoop().negotiatedMaxPages()).isEqualTo(FuseProtocol.KERNEL_MAX_PAGES);

        final boolean raised = raisedReadAhead(mnt);
        assertThat(readWholeFileMatchesPattern(mnt)).isTrue();
        if (raised)
        {
            assertThat(fs.largestRead.get()).isEqualTo(FuseMount.MAX_READ_BYTES);
        }
        assertThat(fs.largestRead.get()).isLessThanOrEqualTo(FuseMount.MAX_READ_BYTES);
    }

    @Test
    void shouldKeepLibfusesInitReplyWhenMaxReadIsOneTwentyEightKibibytes() throws Exception
    {
        final Path mnt = mount("max_read=131072");
        assertThat(fs.sessionLoop().negotiatedMaxPages()).isZero();

        final boolean raised = raisedReadAhead(mnt);
        assertThat(readWholeFileMatchesPattern(mnt)).isTrue();
        assertThat(fs.largestRead.get()).isLessThanOrEqualTo(128 * 1024);
        if (raised)
        {
            assertThat(fs.largestRead.get()).isEqualTo(128 * 1024);
        }
    }

    @Test
    void shouldServeReadsThatStartMidPageAndCrossMebibyteBoundaries() throws Exception
    {
        final Path mnt = mount("max_read=" + FuseMount.MAX_READ_BYTES);
        raisedReadAhead(mnt);
        try (FileChannel ch = FileChannel.open(mnt.resolve(PatternFs.NAME), StandardOpenOption.READ))
        {
            for (final long off : new long[] {MIB - 3, 5L * MIB + 4095, FILE_SIZE - 700_000, 17})
            {
                final ByteBuffer b = ByteBuffer.allocate(1_500_000);
                int n;
                long pos = off;
                while (b.hasRemaining() && (n = ch.read(b, pos)) > 0)
                {
                    pos += n;
                }
                b.flip();
                assertThat(b.remaining()).isEqualTo((int)Math.min(1_500_000, FILE_SIZE - off));
                for (int i = 0; i < b.remaining(); i++)
                {
                    if (b.get(i) != PatternFs.byteAt(off + i))
                    {
                        throw new AssertionError("wrong byte at offset " + (off + i));
                    }
                }
            }
        }
    }

    private Path mount(final String options) throws Exception
    {
        final Path mnt = Files.createDirectory(tmp.resolve("mnt"));
        fs = new PatternFs();
        fs.mount(mnt, false, false, new String[] {"-o", "ro,fsname=large-read-test," + options});
        assertThat(fs.sessionLoop()).isNotNull();
        return mnt;
    }

    /** Root only: read-ahead above 1 MiB, without which the kernel's buffered reads stay at 128 KiB. */
    private static boolean raisedReadAhead(final Path mnt)
    {
        return KernelReadAhead.raise(mnt, KernelReadAhead.DEFAULT_KB);
    }

    private static boolean readWholeFileMatchesPattern(final Path mnt) throws Exception
    {
        try (FileChannel ch = FileChannel.open(mnt.resolve(PatternFs.NAME), StandardOpenOption.READ))
        {
            final ByteBuffer b = ByteBuffer.allocateDirect(4 * MIB);
            long pos = 0;
            int n;
            while ((n = ch.read(b.clear())) > 0)
            {
                b.flip();
                for (int i = 0; i < n; i++)
                {
                    if (b.get(i) != PatternFs.byteAt(pos + i))
                    {
                        return false;
                    }
                }
                pos += n;
            }
            return pos == FILE_SIZE;
        }
    }

    /** One file whose every byte is a function of its offset; records the largest read the kernel asked for. */
    private static final class PatternFs extends LeanFuseFs
    {
        static final String NAME = "pattern.bin";
        final AtomicLong largestRead = new AtomicLong();

        PatternFs()
        {
            super(true);
        }

        static byte byteAt(final long off)
        {
            return (byte)(off ^ (off >>> 8) ^ (off >>> 16) ^ (off >>> 24));
        }

        @Override
        protected int readRaw(final long pathAddress, final long buf, final long size, final long offset, final long fh)
        {
            largestRead.accumulateAndGet(size, Math::max);
            final int n = (int)Math.max(0, Math.min(size, FILE_SIZE - offset));
            for (int i = 0; i < n; i++)
            {
                UnsafeApi.putByte(buf + i, byteAt(offset + i));
            }
            return n;
        }

        @Override
        public int getattr(final String path, final FileStat stat)
        {
            if ("/".equals(path))
            {
                stat.st_mode.set(FileStat.S_IFDIR | 0555);
                stat.st_nlink.set(2);
                return 0;
            }
            if (("/" + NAME).equals(path))
            {
                stat.st_mode.set(FileStat.S_IFREG | 0444);
                stat.st_nlink.set(1);
                stat.st_size.set(FILE_SIZE);
                return 0;
            }
            return -ErrorCodes.ENOENT();
        }

        @Override
        public int readdir(final String path, final Pointer buf, final FuseFillDir filter, @off_t final long offset, final FuseFileInfo fi)
        {
            filter.apply(buf, ".", null, 0);
            filter.apply(buf, "..", null, 0);
            filter.apply(buf, NAME, null, 0);
            return 0;
        }

        @Override
        public int open(final String path, final FuseFileInfo fi)
        {
            return ("/" + NAME).equals(path) ? 0 : -ErrorCodes.ENOENT();
        }
    }
}
