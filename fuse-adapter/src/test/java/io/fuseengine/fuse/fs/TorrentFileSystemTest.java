package io.fuseengine.fuse.fs;

import io.fuseengine.core.errno.Errno;
import io.fuseengine.core.meta.TorrentDetails;
import io.fuseengine.core.read.ReadPipeline;
import io.fuseengine.core.read.StreamTarget;
import io.fuseengine.fuse.testing.GeneratedTransport;
import io.fuseengine.fuse.tree.FsTree;
import io.fuseengine.fuse.tree.InodeRegistry;
import io.fuseengine.fuse.tree.TorrentLayout;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static io.fuseengine.fuse.testing.FakeMetadata.file;
import static io.fuseengine.fuse.testing.FakeMetadata.hash;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The callbacks, called directly with native structs (no kernel mount).
 */
class TorrentFileSystemTest
{
    private static final Runtime RT = Runtime.getSystemRuntime();

    private final GeneratedTransport transport = new GeneratedTransport();
    private final ReadPipeline pipeline = new ReadPipeline(8, 16, TimeUnit.SECONDS.toNanos(5), transport);
    private final AtomicReference<FsTree> tree = new AtomicReference<>(FsTree.build(List.of(
        TorrentLayout.build(new TorrentDetails(hash(1), "Show", -1, List.of(
            file(0, 300_000, "s01", "e01.mkv"), file(1, 0, "empty.txt"))), null, 1_000_000, new InodeRegistry()),
        TorrentLayout.build(new TorrentDetails(hash(2), "solo.iso", -1, List.of(file(0, 5, "solo.iso"))),
            null, 2_000_000, new InodeRegistry())), 0, 1));
    private final TorrentFileSystem fs = new TorrentFileSystem(tree::get, pipeline, new OpenFileTable(16));

    @AfterEach
    void close()
    {
        pipeline.close();
    }

    private static FileStat stat()
    {
        return FileStat.of(RT.getMemoryManager().allocateDirect(Struct.size(new FileStat(RT)), true));
    }

    private static FuseFileInfo info(final int flags)
    {
        final FuseFileInfo fi = FuseFileInfo.of(RT.getMemoryManager().allocateDirect(128, true));
        fi.flags.set(flags);
        return fi;
    }

    @Test
    void getattrDescribesDirectoriesAndFilesReadOnly()
    {
        final FileStat dir = stat();
        assertThat(fs.getattr("/Show/s01", dir)).isZero();
        assertThat(dir.st_mode.intValue()).isEqualTo(FileStat.S_IFDIR | 0555);
        assertThat(dir.st_nlink.intValue()).isEqualTo(2);

        final FileStat f = stat();
        assertThat(fs.getattr("/Show/s01/e01.mkv", f)).isZero();
        assertThat(f.st_mode.intValue()).isEqualTo(FileStat.S_IFREG | 0444);
        assertThat(f.st_size.longValue()).isEqualTo(300_000);
        assertThat(f.st_blocks.longValue()).isEqualTo((300_000 + 511) / 512);
        assertThat(f.st_blksize.longValue()).isEqualTo(128 * 1024);
        assertThat(f.st_mtim.tv_sec.longValue()).isEqualTo(1000);
        assertThat(f.st_ino.longValue()).isEqualTo(tree.get().lookup("/Show/s01/e01.mkv").inode());

        assertThat(fs.getattr("/nope", stat())).isEqualTo(-Errno.ENOENT);
        assertThat(fs.getattr("/Show/nope", stat())).isEqualTo(-Errno.ENOENT);
    }

    @Test
    void readdirListsDotEntriesAndChildren()
    {
        final List<String> names = new ArrayList<>();
        final FuseFillDir filler = new FuseFillDir()
        {
            @Override
            public int apply(final Pointer buf, final ByteBuffer name, final Pointer stbuf, final long off)
            {
                final byte[] b = new byte[name.remaining()];
                name.get(b);
                assertThat(b[b.length - 1]).isZero();
                names.add(new String(b, 0, b.length - 1, StandardCharsets.UTF_8));
                return 0;
            }
        };
        assertThat(fs.readdir("/", null, filler, 0, info(0))).isZero();
        assertThat(names).containsExactly(".", "..", "Show", "solo.iso");
        names.clear();
        assertThat(fs.readdir("/Show", null, filler, 0, info(0))).isZero();
        assertThat(names).containsExactly(".", "..", "s01", "empty.txt");
        assertThat(fs.readdir("/solo.iso", null, filler, 0, info(0))).isEqualTo(-Errno.ENOTDIR);
        assertThat(fs.readdir("/missing", null, filler, 0, info(0))).isEqualTo(-Errno.ENOENT);
    }

    @Test
    void openReadReleaseDeliversTheTransportBytes()
    {
        final FuseFileInfo fi = info(0);
        assertThat(fs.open("/Show/s01/e01.mkv", fi)).isZero();
        final StreamTarget target = tree.get().lookup("/Show/s01/e01.mkv").target();
        final Pointer buf = RT.getMemoryManager().allocateDirect(131072);

        assertThat(fs.read("/Show/s01/e01.mkv", buf, 131072, 200_000, fi)).isEqualTo(100_000);
        final byte[] got = new byte[100_000];
        buf.get(0, got, 0, got.length);
        for (int i = 0; i < got.length; i++)
        {
            if (got[i] != GeneratedTransport.byteAt(target, 200_000 + i))
            {
                throw new AssertionError("byte " + i + " differs");
            }
        }
        final int before = transport.requests();
        assertThat(fs.read("/Show/s01/e01.mkv", buf, 131072, 300_000, fi)).isZero();
        assertThat(fs.read("/Show/s01/e01.mkv", buf, 131072, 10_000_000, fi)).isZero();
        assertThat(transport.requests()).isEqualTo(before);

        assertThat(fs.release("/Show/s01/e01.mkv", fi)).isZero();
        assertThat(fs.openFiles().openCount()).isZero();
        assertThat(fs.read("/Show/s01/e01.mkv", buf, 4096, 0, fi)).isEqualTo(-Errno.EBADF);
    }

    @Test
    void openFileKeepsReadingAfterARefreshRenamesItsTorrent()
    {
        final FuseFileInfo fi = info(0);
        assertThat(fs.open("/solo.iso", fi)).isZero();
        final InodeRegistry r = new InodeRegistry();
        tree.set(FsTree.build(List.of(
            TorrentLayout.build(new TorrentDetails(hash(9), "solo.iso", -1, List.of(file(0, 5, "solo.iso"))), null, 1, r),
            TorrentLayout.build(new TorrentDetails(hash(2), "solo.iso", -1, List.of(file(0, 5, "solo.iso"))), null, 2_000_000, r)),
            0, 2));
        assertThat(tree.get().lookup("/solo (2).iso").target().infoHash()).isEqualTo(hash(2));
        final Pointer buf = RT.getMemoryManager().allocateDirect(4096);
        assertThat(fs.read("/solo.iso", buf, 4096, 0, fi)).isEqualTo(5);
    }

    @Test
    void readOfATorrentThatLeftTheCatalogFailsWithEnoentWithoutAskingTheBackend()
    {
        final FuseFileInfo fi = info(0);
        assertThat(fs.open("/solo.iso", fi)).isZero();
        tree.set(FsTree.empty(0));
        final int before = transport.requests();
        assertThat(fs.read("/solo.iso", RT.getMemoryManager().allocateDirect(4096), 4096, 0, fi)).isEqualTo(-Errno.ENOENT);
        assertThat(transport.requests()).isEqualTo(before);
    }

    @Test
    void transportErrorsAreReturnedAsNegatedErrno()
    {
        transport.failWith(Errno.EIO);
        final FuseFileInfo fi = info(0);
        assertThat(fs.open("/solo.iso", fi)).isZero();
        assertThat(fs.read("/solo.iso", RT.getMemoryManager().allocateDirect(4096), 4096, 0, fi)).isEqualTo(-Errno.EIO);
    }

    @Test
    void kernelRetryOfAFailedRangeGetsTheSameErrorWithoutAskingTheBackendAgain()
    {
        transport.failWith(Errno.ETIMEDOUT);
        final FuseFileInfo fi = info(0);
        assertThat(fs.open("/Show/s01/e01.mkv", fi)).isZero();
        final Pointer buf = RT.getMemoryManager().allocateDirect(131072);
        assertThat(fs.read("/Show/s01/e01.mkv", buf, 131072, 0, fi)).isEqualTo(-Errno.ETIMEDOUT);
        final int asked = transport.requests();

        assertThat(fs.read("/Show/s01/e01.mkv", buf, 4096, 4096, fi)).isEqualTo(-Errno.ETIMEDOUT);
        assertThat(transport.requests()).isEqualTo(asked);

        transport.failWith(0);
        assertThat(fs.read("/Show/s01/e01.mkv", buf, 4096, 131072, fi)).isEqualTo(4096);
        assertThat(transport.requests()).isEqualTo(asked + 1);
        fs.release("/Show/s01/e01.mkv", fi);
        final FuseFileInfo again = info(0);
        assertThat(fs.open("/Show/s01/e01.mkv", again)).isZero();
        assertThat(fs.read("/Show/s01/e01.mkv", buf, 4096, 0, again)).isEqualTo(4096);
    }

    @Test
    void openRefusesWritesDirectoriesAndUnknownPaths()
    {
        assertThat(fs.open("/solo.iso", info(1))).isEqualTo(-Errno.EROFS);       // O_WRONLY
        assertThat(fs.open("/solo.iso", info(2))).isEqualTo(-Errno.EROFS);       // O_RDWR
        assertThat(fs.open("/solo.iso", info(01000))).isEqualTo(-Errno.EROFS);   // O_TRUNC
        assertThat(fs.open("/Show", info(0))).isEqualTo(-Errno.EISDIR);
        assertThat(fs.open("/nope", info(0))).isEqualTo(-Errno.ENOENT);
        assertThat(fs.opendir("/solo.iso", info(0))).isEqualTo(-Errno.ENOTDIR);
    }

    @Test
    void everyWriteLikeOperationAnswersErofs()
    {
        final FuseFileInfo fi = info(0);
        assertThat(List.of(
            fs.write("/solo.iso", null, 1, 0, fi),
            fs.create("/new", 0644, fi),
            fs.mknod("/new", 0644, 0),
            fs.mkdir("/d", 0755),
            fs.unlink("/solo.iso"),
            fs.rmdir("/Show"),
            fs.symlink("/solo.iso", "/l"),
            fs.link("/solo.iso", "/l"),
            fs.rename("/solo.iso", "/x"),
            fs.chmod("/solo.iso", 0777),
            fs.chown("/solo.iso", 1, 1),
            fs.truncate("/solo.iso", 0),
            fs.ftruncate("/solo.iso", 0, fi),
            fs.utimens("/solo.iso", null),
            fs.setxattr("/solo.iso", "user.x", null, 0, 0),
            fs.removexattr("/solo.iso", "user.x"),
            fs.fallocate("/solo.iso", 0, 0, 1, fi),
            fs.access("/solo.iso", 2)))
            .containsOnly(-Errno.EROFS);
        assertThat(fs.getxattr("/solo.iso", "user.x", null, 0)).isEqualTo(-Errno.ENODATA);
        assertThat(fs.listxattr("/", null, 0)).as("the root has no attributes").isZero();
    }

    @Test
    void removalIsRefusedWithoutAControlAndAllowedOnlyForTopLevelEntriesWithOne()
    {
        final List<String> removed = new ArrayList<>();
        assertThat(fs.rmdir("/")).isEqualTo(-Errno.EBUSY);
        assertThat(fs.rmdir("/Show")).as("no control: read-only").isEqualTo(-Errno.EROFS);
        fs.torrentControl(new TorrentControl()
        {
            @Override
            public long torrentId(final String infoHash)
            {
                return 7;
            }

            @Override
            public io.fuseengine.core.meta.TorrentProgress progress(final String infoHash)
            {
                return null;
            }

            @Override
            public int remove(final String infoHash, final String name)
            {
                removed.add(name + "=" + infoHash);
                return name.equals("solo.iso") ? Errno.ETIMEDOUT : 0;
            }
        }, true);
        assertThat(fs.rmdir("/")).isEqualTo(-Errno.EBUSY);
        assertThat(fs.rmdir("/missing")).isEqualTo(-Errno.ENOENT);
        assertThat(fs.rmdir("/solo.iso")).isEqualTo(-Errno.ENOTDIR);
        assertThat(fs.unlink("/Show")).isEqualTo(-Errno.EISDIR);
        assertThat(fs.unlink("/Show/empty.txt")).isEqualTo(-Errno.EROFS);
        assertThat(fs.rmdir("/Show/s01")).isEqualTo(-Errno.EROFS);
        assertThat(removed).isEmpty();
        assertThat(fs.rmdir("/Show")).isZero();
        assertThat(fs.unlink("/solo.iso")).as("the control's errno is answered").isEqualTo(-Errno.ETIMEDOUT);
        assertThat(removed).containsExactly("Show=" + hash(1), "solo.iso=" + hash(2));

        final FileStat root = stat();
        assertThat(fs.getattr("/", root)).isZero();
        assertThat(root.st_mode.intValue() & 0777).as("owner may remove entries of the root").isEqualTo(0755);
    }

    @Test
    void getxattrFollowsTheSizeProtocol()
    {
        final byte[] hash = hash(1).getBytes(StandardCharsets.US_ASCII);
        assertThat(fs.getxattr("/Show/s01/e01.mkv", "user.torrent.info_hash", null, 0)).isEqualTo(hash.length);
        final Pointer small = RT.getMemoryManager().allocateDirect(8);
        assertThat(fs.getxattr("/Show/s01/e01.mkv", "user.torrent.info_hash", small, 8)).isEqualTo(-Errno.ERANGE);
        final Pointer buf = RT.getMemoryManager().allocateDirect(64);
        assertThat(fs.getxattr("/Show/s01/e01.mkv", "user.torrent.info_hash", buf, 64)).isEqualTo(hash.length);
        final byte[] got = new byte[hash.length];
        buf.get(0, got, 0, got.length);
        assertThat(got).isEqualTo(hash);
        assertThat(fs.getxattr("/Show/s01/e01.mkv", "user.torrent.nope", buf, 64)).isEqualTo(-Errno.ENODATA);
        assertThat(fs.getxattr("/missing", "user.torrent.info_hash", buf, 64)).isEqualTo(-Errno.ENOENT);

        final int needed = fs.listxattr("/Show/s01/e01.mkv", null, 0);
        final Pointer names = RT.getMemoryManager().allocateDirect(needed);
        assertThat(fs.listxattr("/Show/s01/e01.mkv", names, needed)).isEqualTo(needed);
        final byte[] raw = new byte[needed];
        names.get(0, raw, 0, needed);
        assertThat(new String(raw, StandardCharsets.UTF_8).split("\0"))
            .containsExactly("user.torrent.info_hash", "user.torrent.name", "user.torrent.file_index");
        assertThat(fs.listxattr("/Show/s01/e01.mkv", names, needed - 1)).isEqualTo(-Errno.ERANGE);
    }

    @Test
    void statfsReportsReadOnlyWith128KiBBlocks()
    {
        final Statvfs st = Statvfs.of(RT.getMemoryManager().allocateDirect(Struct.size(new Statvfs(RT)), true));
        assertThat(fs.statfs("/", st)).isZero();
        assertThat(st.f_bsize.longValue()).isEqualTo(131072);
        assertThat(st.f_blocks.longValue()).isEqualTo(3);   // 300 005 bytes
        assertThat(st.f_namemax.longValue()).isEqualTo(255);
        assertThat(st.f_flag.longValue() & Statvfs.ST_RDONLY).isNotZero();
    }

    @Test
    void callbackNeverThrowsEvenWhenTheTreeSourceFails()
    {
        final TorrentFileSystem broken = new TorrentFileSystem(() ->
        {
            throw new IllegalStateException("boom");
        }, pipeline, new OpenFileTable(4));
        assertThat(broken.getattr("/", stat())).isEqualTo(-Errno.EIO);
        assertThat(broken.open("/x", info(0))).isEqualTo(-Errno.EIO);
    }
}
