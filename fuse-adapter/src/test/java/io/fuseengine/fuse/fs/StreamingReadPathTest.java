package io.fuseengine.fuse.fs;

import io.fuseengine.core.cache.ChunkCache;
import io.fuseengine.core.cache.ChunkCacheConfig;
import io.fuseengine.core.errno.Errno;
import io.fuseengine.core.meta.TorrentDetails;
import io.fuseengine.core.read.ReadPipeline;
import io.fuseengine.core.read.StreamTarget;
import io.fuseengine.core.readahead.ReadAheadConfig;
import io.fuseengine.core.readahead.StreamingReader;
import io.fuseengine.fuse.testing.GeneratedTransport;
import io.fuseengine.fuse.tree.FsTree;
import io.fuseengine.fuse.tree.InodeRegistry;
import io.fuseengine.fuse.tree.TorrentLayout;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import ru.serce.jnrfuse.struct.FuseFileInfo;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static io.fuseengine.fuse.testing.FakeMetadata.file;
import static io.fuseengine.fuse.testing.FakeMetadata.hash;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The callbacks with the chunk cache and read-ahead in front of the pipeline, called directly with native structs
 * (no kernel mount), plus the {@code fuse_file_info} layout the keep_cache bit depends on.
 */
@Timeout(60)
class StreamingReadPathTest
{
    private static final Runtime RT = Runtime.getSystemRuntime();
    private static final int CHUNK = 64 * 1024;
    /** One cache for the class: creating a Chronicle map takes seconds. Files differ per test (hash(n)). */
    private static ChunkCache cache;

    private final GeneratedTransport transport = new GeneratedTransport();
    private final ReadPipeline pipeline = new ReadPipeline(8, 16, TimeUnit.SECONDS.toNanos(5), transport);
    private StreamingReader reader;
    private AtomicReference<FsTree> tree;
    private TorrentFileSystem fs;

    @BeforeAll
    static void openCache() throws Exception
    {
        cache = ChunkCache.open(ChunkCacheConfig.builder().chunkSize(CHUNK).budgetBytes(64L * CHUNK).build());
    }

    @AfterAll
    static void closeCache()
    {
        cache.close();
    }

    private void mountTree(final int torrent)
    {
        tree = new AtomicReference<>(treeOf(torrent));
        // no fetcher threads: every backend request is made by the calling test thread, so request counts are exact
        reader = new StreamingReader(pipeline, cache, ReadAheadConfig.builder().fetchers(0).readAheadMax(4L * CHUNK).build());
        fs = new TorrentFileSystem(tree::get, pipeline, reader, new OpenFileTable(16));
    }

    /** "/Show/s01/e01.mkv" (300 000 bytes) and "/notes.txt" (5 bytes), of torrents hash(n) and hash(n + 1). */
    private static FsTree treeOf(final int n)
    {
        return FsTree.build(List.of(
            TorrentLayout.build(new TorrentDetails(hash(n), "Show", -1, List.of(file(0, 300_000, "s01", "e01.mkv"))),
                null, 1_000_000, new InodeRegistry()),
            TorrentLayout.build(new TorrentDetails(hash(n + 1), "notes.txt", -1, List.of(file(0, 5, "notes.txt"))),
                null, 2_000_000, new InodeRegistry())), 0, n);
    }

    @org.junit.jupiter.api.AfterEach
    void close()
    {
        if (reader != null)
        {
            reader.close();
        }
        pipeline.close();
    }

    private static Pointer fileInfoMemory()
    {
        return RT.getMemoryManager().allocateDirect(64, true);
    }

    private static void assertGenerated(final Pointer buf, final StreamTarget target, final long offset, final int n)
    {
        final byte[] got = new byte[n];
        buf.get(0, got, 0, n);
        for (int i = 0; i < n; i++)
        {
            if (got[i] != GeneratedTransport.byteAt(target, offset + i))
            {
                throw new AssertionError("byte " + (offset + i) + " differs");
            }
        }
    }

    @Test
    void fuseFileInfoBitfieldIntSitsAtByteOffset20BetweenFhOldAndFh()
    {
        // libfuse 2.9, x86_64: int flags @0, unsigned long fh_old @8, int writepage @16, bitfields @20, uint64 fh @24.
        // jnr-fuse 0.5.8 forgets writepage, so its direct_io/keep_cache fields point at the wrong bytes: if these
        // offsets ever move (another jnr-fuse, another libfuse), FILE_INFO_BITS_OFFSET must move with them.
        final FuseFileInfo fi = FuseFileInfo.of(fileInfoMemory());
        assertThat(fi.flags.offset()).isZero();
        assertThat(fi.fh_old.offset()).isEqualTo(8);
        assertThat(fi.fh.offset()).isEqualTo(24);
        assertThat(fi.lock_owner.offset()).isEqualTo(32);
        assertThat(Struct.size(fi)).isEqualTo(40);
        assertThat(TorrentFileSystem.FILE_INFO_BITS_OFFSET).isEqualTo(24 - Integer.BYTES);
        assertThat(RawReadCallback.FILE_INFO_FH_OFFSET).isEqualTo(fi.fh.offset());
        fi.fh.set(0x1234_5678_9ABCL);
        assertThat(RawReadCallback.fileHandle(Struct.getMemory(fi).address())).isEqualTo(0x1234_5678_9ABCL);
    }

    @Test
    void theOperationsStructsReadEntryIsTheRawCallbackNotJnrFusesClosure()
    {
        mountTree(80);
        assertThat(fs.readsThroughRawCallback()).isTrue();
    }

    @Test
    void rawReadCallbackServesTheSameBytesAsJnrFusesReadAndAnswersEbadfForAMissingOrReleasedHandle()
    {
        mountTree(90);
        final Pointer mem = fileInfoMemory();
        final FuseFileInfo fi = FuseFileInfo.of(mem);
        assertThat(fs.open("/Show/s01/e01.mkv", fi)).isZero();
        final StreamTarget target = tree.get().lookup("/Show/s01/e01.mkv").target();
        final Pointer path = RT.getMemoryManager().allocateDirect(64, true);
        path.putString(0, "/Show/s01/e01.mkv", 63, java.nio.charset.StandardCharsets.UTF_8);
        final Pointer raw = RT.getMemoryManager().allocateDirect(131072);
        final Pointer viaJnr = RT.getMemoryManager().allocateDirect(131072);

        assertThat(fs.readRaw(path.address(), raw.address(), 131072, 200_000, fi.fh.get())).isEqualTo(100_000);
        assertGenerated(raw, target, 200_000, 100_000);
        assertThat(fs.read("/Show/s01/e01.mkv", viaJnr, 131072, 200_000, fi)).isEqualTo(100_000);
        final byte[] a = new byte[100_000];
        final byte[] b = new byte[100_000];
        raw.get(0, a, 0, a.length);
        viaJnr.get(0, b, 0, b.length);
        assertThat(a).isEqualTo(b);

        assertThat(fs.readRaw(path.address(), raw.address(), 4096, 0, 0)).isEqualTo(-Errno.EBADF);
        assertThat(fs.release("/Show/s01/e01.mkv", fi)).isZero();
        assertThat(fs.readRaw(path.address(), raw.address(), 4096, 0, fi.fh.get())).isEqualTo(-Errno.EBADF);
    }

    @Test
    void openSetsKeepCacheClearsDirectIoAndLeavesTheOtherBitsAndFieldsAlone()
    {
        mountTree(10);
        final Pointer mem = fileInfoMemory();
        mem.putInt(16, 0x5A5A5A5A);                 // writepage
        mem.putInt(20, 0b101);                      // direct_io and flush set by "someone"
        final FuseFileInfo fi = FuseFileInfo.of(mem);
        assertThat(fs.open("/Show/s01/e01.mkv", fi)).isZero();
        assertThat(mem.getInt(20)).isEqualTo(0b110);   // keep_cache on, direct_io off, flush kept
        assertThat(mem.getInt(16)).isEqualTo(0x5A5A5A5A);
        assertThat(fi.fh.get()).isNotZero();
        assertThat(mem.getLong(24)).isEqualTo(fi.fh.get());
        assertThat(fs.release("/Show/s01/e01.mkv", fi)).isZero();
    }

    @Test
    void firstOpenOfAPathNowNamingAnotherFileDropsTheKernelsPagesAndLaterOpensKeepThem()
    {
        mountTree(20);
        final FuseFileInfo first = FuseFileInfo.of(fileInfoMemory());
        assertThat(fs.open("/notes.txt", first)).isZero();
        fs.release("/notes.txt", first);

        tree.set(treeOf(30));                       // "/notes.txt" is now another torrent's file of the same size
        final Pointer mem = fileInfoMemory();
        assertThat(fs.open("/notes.txt", FuseFileInfo.of(mem))).isZero();
        assertThat(mem.getInt(20) & TorrentFileSystem.FILE_INFO_KEEP_CACHE).isZero();
        assertThat(fs.rebindings()).isEqualTo(1);

        final Pointer again = fileInfoMemory();
        assertThat(fs.open("/notes.txt", FuseFileInfo.of(again))).isZero();
        assertThat(again.getInt(20) & TorrentFileSystem.FILE_INFO_KEEP_CACHE).isNotZero();
        assertThat(fs.rebindings()).isEqualTo(1);
    }

    @Test
    void aCacheHitIsServedWithoutTouchingTheRingOrTheTransport()
    {
        mountTree(40);
        final FuseFileInfo fi = FuseFileInfo.of(fileInfoMemory());
        assertThat(fs.open("/Show/s01/e01.mkv", fi)).isZero();
        final StreamTarget target = tree.get().lookup("/Show/s01/e01.mkv").target();
        final Pointer buf = RT.getMemoryManager().allocateDirect(131072);

        // a media file's head chunk is fetched whole (probe policy), so the second read is a hit
        assertThat(fs.read("/Show/s01/e01.mkv", buf, 16384, 0, fi)).isEqualTo(16384);
        assertGenerated(buf, target, 0, 16384);
        // the first read returns as soon as its own bytes arrived; the chunk is in the cache once its fetch ended
        final long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (reader.inFlightChunks() != 0 || reader.queuedChunks() != 0)
        {
            assertThat(System.nanoTime() - giveUp).as("chunk fetches still in flight").isNegative();
            Thread.yield();
        }
        final int requests = transport.requests();
        final long ringReads = pipeline.reads();
        final long hits = reader.hits();

        assertThat(fs.read("/Show/s01/e01.mkv", buf, 32768, 16384, fi)).isEqualTo(32768);
        assertGenerated(buf, target, 16384, 32768);
        assertThat(reader.hits()).isEqualTo(hits + 1);
        assertThat(transport.requests()).isEqualTo(requests);
        assertThat(pipeline.reads()).isEqualTo(ringReads);
        assertThat(fs.release("/Show/s01/e01.mkv", fi)).isZero();
    }

    @Test
    void readsAreByteExactAcrossChunkBoundariesAndShortAtEndOfFile()
    {
        mountTree(50);
        final FuseFileInfo fi = FuseFileInfo.of(fileInfoMemory());
        assertThat(fs.open("/Show/s01/e01.mkv", fi)).isZero();
        final StreamTarget target = tree.get().lookup("/Show/s01/e01.mkv").target();
        final Pointer buf = RT.getMemoryManager().allocateDirect(131072);
        for (long off = 0; off < 300_000; off += 100_000)
        {
            final int want = (int)Math.min(131072, 300_000 - off);
            assertThat(fs.read("/Show/s01/e01.mkv", buf, 131072, off, fi)).isEqualTo(want);
            assertGenerated(buf, target, off, want);
        }
        assertThat(fs.read("/Show/s01/e01.mkv", buf, 131072, 300_000, fi)).isZero();
        assertThat(fs.release("/Show/s01/e01.mkv", fi)).isZero();
        assertThat(fs.read("/Show/s01/e01.mkv", buf, 4096, 0, fi)).isEqualTo(-Errno.EBADF);
        assertThat(fs.openFiles().openCount()).isZero();
    }

    @Test
    void kernelRetryOfAFailedRangeGetsTheSameErrorAndAFailedFetchIsNeverCached()
    {
        mountTree(60);
        transport.failWith(Errno.ETIMEDOUT);
        final FuseFileInfo fi = FuseFileInfo.of(fileInfoMemory());
        assertThat(fs.open("/notes.txt", fi)).isZero();
        final Pointer buf = RT.getMemoryManager().allocateDirect(4096);
        assertThat(fs.read("/notes.txt", buf, 4096, 0, fi)).isEqualTo(-Errno.ETIMEDOUT);
        final int asked = transport.requests();
        assertThat(fs.read("/notes.txt", buf, 4096, 0, fi)).isEqualTo(-Errno.ETIMEDOUT);
        assertThat(transport.requests()).isEqualTo(asked);
        fs.release("/notes.txt", fi);

        transport.failWith(0);
        final FuseFileInfo again = FuseFileInfo.of(fileInfoMemory());
        assertThat(fs.open("/notes.txt", again)).isZero();
        assertThat(fs.read("/notes.txt", buf, 4096, 0, again)).isEqualTo(5);
        assertGenerated(buf, tree.get().lookup("/notes.txt").target(), 0, 5);
        assertThat(transport.requests()).isGreaterThan(asked);
    }

    @Test
    void readOfATorrentThatLeftTheCatalogFailsWithEnoentEvenWhenItsBytesAreCached()
    {
        mountTree(70);
        final FuseFileInfo fi = FuseFileInfo.of(fileInfoMemory());
        assertThat(fs.open("/Show/s01/e01.mkv", fi)).isZero();
        final Pointer buf = RT.getMemoryManager().allocateDirect(4096);
        assertThat(fs.read("/Show/s01/e01.mkv", buf, 4096, 0, fi)).isEqualTo(4096);
        tree.set(FsTree.empty(0));
        final int before = transport.requests();
        assertThat(fs.read("/Show/s01/e01.mkv", buf, 4096, 0, fi)).isEqualTo(-Errno.ENOENT);
        assertThat(transport.requests()).isEqualTo(before);
    }
}
