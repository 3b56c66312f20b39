package io.fuseengine.fuse.e2e;

import io.fuseengine.fuse.MountedEngine;
import io.fuseengine.fuse.mount.FuseMount;
import io.fuseengine.fuse.mount.FuseSessionLoop;
import io.fuseengine.fuse.mount.MountTable;
import io.fuseengine.sim.FaultInjector;
import io.fuseengine.sim.RqbitSim;
import io.fuseengine.sim.SimFile;
import io.fuseengine.sim.SimTorrent;
import io.fuseengine.sim.TorrentSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The chunk cache and read-ahead through a real kernel mount, the real transport and rqbit-sim: what a media scan,
 * a player, a reopen, memory pressure and a stalled torrent cost the backend, and that the bytes are always right.
 * Assertions are on counters and bytes, never on time.
 */
@Timeout(240)
class ReadAheadMountTest
{
    private static final int MIB = 1024 * 1024;
    private static final int CHUNK = MIB;
    private static final int PROBE = 64 * 1024;

    @TempDir
    Path tmp;

    private SimMount fx;

    @AfterEach
    void unmount()
    {
        if (fx != null)
        {
            fx.close();
        }
    }

    private SimMount mount(final RqbitSim sim, final Consumer<io.fuseengine.core.config.EngineConfig.Context> tweaks)
        throws IOException
    {
        fx = SimMount.start(sim, tmp, c ->
        {
            c.cacheChunkSize(CHUNK).cacheSize(64L * MIB).readAheadMax(8L * MIB);
            tweaks.accept(c);
        });
        return fx;
    }

    @Test
    void mediaScanOfTwoHundredFilesFetchesNoMoreThanTheirHeadAndTailChunks() throws Exception
    {
        final RqbitSim sim = SimMount.startSim();
        final List<SimTorrent> shows = new ArrayList<>();
        for (int t = 0; t < 4; t++)
        {
            final TorrentSpec.Builder b = TorrentSpec.builder("show" + t);
            for (int e = 1; e <= 50; e++)
            {
                // 8..16 MiB, never chunk-aligned
                b.file(8L * MIB + ((t * 50L + e) * 167_771L) % (8L * MIB) + 12_345, String.format("ep%03d.mkv", e));
            }
            shows.add(sim.addTorrent(b.build()));
        }
        mount(sim, c -> { });
        final long servedBefore = sim.stats().streamBytesServed();

        long bound = 0;
        int files = 0;
        for (int t = 0; t < shows.size(); t++)
        {
            for (final SimFile f : shows.get(t).files())
            {
                final Path p = fx.mnt.resolve("show" + t).resolve(f.name());
                final long len = f.length();
                try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ))
                {
                    assertThat(SimMount.readAt(ch, 0, PROBE)).isEqualTo(expected(f, 0, PROBE));
                    assertThat(SimMount.readAt(ch, len - PROBE, PROBE)).isEqualTo(expected(f, len - PROBE, PROBE));
                }
                bound += chunkBytesOverlapping(len, 0, 2L * PROBE)
                    + chunkBytesOverlapping(len, (len - PROBE) & ~4095L, len);
                files++;
            }
        }
        assertThat(files).isEqualTo(200);
        final long served = sim.stats().streamBytesServed() - servedBefore;
        assertThat(served).as("bytes rqbit served for the scan").isLessThanOrEqualTo(bound).isPositive();
        assertThat(fx.engine().cacheBytesFetched()).isPositive();
    }

    @Test
    void sequentialReaderGetsByteExactContentServedByReadAheadWithEveryChunkFetchedOnce() throws Exception
    {
        final RqbitSim sim = SimMount.startSim();
        final long length = 64L * MIB + 777;
        final SimTorrent movie = sim.addTorrent(TorrentSpec.builder("movie").file(length, "movie.mkv").file(100, "movie.nfo").build());
        mount(sim, c -> { });
        final MountedEngine engine = fx.engine();
        final long servedBefore = sim.stats().streamBytesServed();
        final long hits0 = engine.cacheHits();
        final long misses0 = engine.cacheMisses();
        final long joined0 = engine.reader().inFlightWaits();

        assertThat(sha256(fx.mnt.resolve("movie/movie.mkv"))).isEqualTo(expectedSha256(movie.files().get(0)));

        final long hits = engine.cacheHits() - hits0;
        final long misses = engine.cacheMisses() - misses0;
        final long joined = engine.reader().inFlightWaits() - joined0;
        // with 1 MiB FUSE reads and the kernel's read-ahead a few MiB ahead, a reader faster than the backend mostly
        // finds its chunk in flight (the read-ahead's fetch) rather than resident: both mean the read did not ask
        // the backend itself
        assertThat(hits + joined).as("reads served by read-ahead: hits %d + joined fetches %d of %d reads", hits, joined, hits + misses)
            .isGreaterThanOrEqualTo(3 * (hits + misses) / 4);
        assertThat(engine.reader().readAheadChunks()).isPositive();
        assertThat(sim.stats().streamBytesServed() - servedBefore)
            .as("no chunk fetched twice (chunk fetches %d, evictions %d, read-ahead wasted %d B, cancellations %d, direct reads %d)",
                engine.reader().chunkFetches(), engine.cacheEvictions(), engine.readAheadWasted(),
                engine.readAheadCancellations(), engine.reader().directReads())
            .isLessThanOrEqualTo(length + 2L * CHUNK);
    }

    @Test
    void readsInsideOneChunkAreRepliedStraightFromTheCacheOrTheFetchNotFromACopy() throws Exception
    {
        final RqbitSim sim = SimMount.startSim();
        final long length = 32L * MIB + 4321;
        final SimTorrent movie = sim.addTorrent(TorrentSpec.builder("zero-copy").file(length, "movie.mkv").file(100, "movie.nfo").build());
        mount(sim, c -> c.cacheChunkSize(4 * MIB).readAheadMax(16L * MIB));
        final FuseSessionLoop loop = fx.engine().fileSystem().sessionLoop();
        final long taken0 = loop.readRepliesTaken();
        final long copied0 = loop.readRepliesCopied();
        final long reads0 = fx.engine().fileSystem().reads();

        assertThat(sha256(fx.mnt.resolve("zero-copy/movie.mkv"))).isEqualTo(expectedSha256(movie.files().get(0)));

        // a reader can see its bytes before the worker that wrote them has counted its reply: wait for the counts
        final long reads = fx.engine().fileSystem().reads() - reads0;
        SimMount.await(Duration.ofSeconds(10),
            () -> loop.readRepliesTaken() - taken0 + loop.readRepliesCopied() - copied0 >= reads);
        final long taken = loop.readRepliesTaken() - taken0;
        final long copied = loop.readRepliesCopied() - copied0;
        assertThat(taken + copied).as("every read was answered by the session loop's own reply with bytes")
            .isEqualTo(reads);
        // the first reads of a run are direct (copied), and a read across a 4 MiB chunk boundary is copied; the rest
        // come from a resident chunk or a running fetch
        assertThat(taken).as("replies written from the chunk or the fetch: %d taken, %d copied of %d reads", taken, copied, reads)
            .isGreaterThanOrEqualTo(reads / 2);
    }

    @Test
    void secondPassOverAReopenedFileSendsNoRequestToTheBackend() throws Exception
    {
        final RqbitSim sim = SimMount.startSim();
        final SimTorrent clip = sim.addTorrent(TorrentSpec.builder("clips").file(16L * MIB + 3, "clip.mkv").file(100, "clip.nfo").build());
        mount(sim, c -> { });
        final Path p = fx.mnt.resolve("clips/clip.mkv");
        final String want = expectedSha256(clip.files().get(0));
        assertThat(sha256(p)).isEqualTo(want);
        final long requests = sim.stats().streamRequests();

        assertThat(sha256(p)).isEqualTo(want);
        assertThat(sim.stats().streamRequests()).isEqualTo(requests);
    }

    @Test
    void reopenedFileIsAnsweredFromThePageCacheWithoutAReadCallback() throws Exception
    {
        final RqbitSim sim = SimMount.startSim();
        final SimTorrent small = sim.addTorrent(TorrentSpec.singleFile("small.bin", MIB + 5));
        mount(sim, c -> { });
        final Path p = fx.mnt.resolve("small.bin");
        final String want = expectedSha256(small.files().get(0));
        assertThat(sha256(p)).isEqualTo(want);
        final long callbacks = fx.engine().fileSystem().reads();
        assertThat(callbacks).isPositive();

        assertThat(sha256(p)).isEqualTo(want);
        assertThat(fx.engine().fileSystem().reads()).as("read callbacks (keep_cache)").isEqualTo(callbacks);
    }

    @Test
    void evictionUnderPressureNeverReturnsWrongBytes() throws Exception
    {
        final RqbitSim sim = SimMount.startSim();
        final TorrentSpec.Builder b = TorrentSpec.builder("pressure");
        for (int i = 0; i < 12; i++)
        {
            b.file(3L * MIB + i * 271_829L, i % 2 == 0 ? "part" + i + ".mkv" : "part" + i + ".bin");
        }
        final SimTorrent pressure = sim.addTorrent(b.build());
        // 8 chunks of 256 KiB for 12 files read at once: chunks are evicted while others wait for them
        mount(sim, c -> c.cacheChunkSize(256 * 1024).cacheSize(2L * MIB).readAheadMax(MIB));
        final ExecutorService pool = Executors.newFixedThreadPool(6);
        try
        {
            final List<Future<String>> results = new ArrayList<>();
            for (final SimFile f : pressure.files())
            {
                results.add(pool.submit(() -> sha256(fx.mnt.resolve("pressure").resolve(f.name()))));
            }
            for (int i = 0; i < results.size(); i++)
            {
                assertThat(results.get(i).get(120, TimeUnit.SECONDS))
                    .as(pressure.files().get(i).name()).isEqualTo(expectedSha256(pressure.files().get(i)));
            }
        }
        finally
        {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(fx.engine().cacheEvictions()).as("evictions").isPositive();
        assertThat(fx.engine().cache().residentBytes() + fx.engine().cache().reservedBytes()).isLessThanOrEqualTo(2L * MIB);
    }

    @Test
    void chunkFetchThatTimesOutIsNotCachedAndTheFileReadsCorrectlyOnceTheTorrentRecovers() throws Exception
    {
        final RqbitSim sim = SimMount.startSim();
        final SimTorrent stalled = sim.addTorrent(TorrentSpec.builder("stalled").file(3L * MIB + 7, "clip.mkv").file(100, "notes.txt").build());
        mount(sim, c -> c.readTimeout(Duration.ofSeconds(2)));
        final Path p = fx.mnt.resolve("stalled/clip.mkv");
        assertThat(Files.size(p)).isEqualTo(3L * MIB + 7);

        sim.faults().inject(FaultInjector.Fault.STALL_AFTER_HEADERS, FaultInjector.Target.STREAMS, stalled.infoHash(), -1);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ))
        {
            assertThatThrownBy(() -> SimMount.readAt(ch, 0, PROBE))
                .isInstanceOf(IOException.class).hasMessageContaining("Connection timed out");
        }
        // the fetch's own deadline falls just after the reader's: wait (bounded) for its owner to record the failure
        final long recordedBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (fx.engine().reader().failedFetches() == 0 && System.nanoTime() - recordedBy < 0)
        {
            Thread.onSpinWait();
        }
        assertThat(fx.engine().reader().failedFetches()).as("failed chunk fetches").isPositive();
        assertThat(fx.engine().cache().residentChunks()).as("resident chunks after the stall").isZero();

        sim.faults().clear();
        assertThat(sha256(p)).isEqualTo(expectedSha256(stalled.files().get(0)));
    }

    @Test
    void raiseReadAheadOptionSetsTheMountsKernelReadAheadAsRoot() throws Exception
    {
        Assumptions.assumeTrue(((Number)Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue() == 0,
            "needs root");
        final RqbitSim sim = SimMount.startSim();
        sim.addTorrent(TorrentSpec.singleFile("a.bin", 1000));
        mount(sim, c -> c.fuseOption(FuseMount.READ_AHEAD_KB_OPTION + "=1024"));
        final String device = MountTable.find(fx.engine().mountPoint()).device();
        assertThat(device).contains(":");
        assertThat(Files.readString(Path.of("/sys/class/bdi", device, "read_ahead_kb")).trim()).isEqualTo("1024");
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** Bytes of the cache chunks of a {@code length}-byte file that overlap {@code [from, to)}. */
    private static long chunkBytesOverlapping(final long length, final long from, final long to)
    {
        long bytes = 0;
        for (long c = from / CHUNK; c <= (Math.min(to, length) - 1) / CHUNK; c++)
        {
            bytes += Math.min(CHUNK, length - c * CHUNK);
        }
        return bytes;
    }

    private static byte[] expected(final SimFile f, final long pos, final int len)
    {
        final byte[] b = new byte[len];
        f.read(pos, b, 0, len);
        return b;
    }

    private static String expectedSha256(final SimFile f) throws Exception
    {
        final MessageDigest md = MessageDigest.getInstance("SHA-256");
        final byte[] b = new byte[MIB];
        for (long pos = 0; pos < f.length(); pos += b.length)
        {
            final int n = (int)Math.min(b.length, f.length() - pos);
            f.read(pos, b, 0, n);
            md.update(b, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** Reads the whole file sequentially (1 MiB reads) through the mount. */
    private static String sha256(final Path p) throws Exception
    {
        final MessageDigest md = MessageDigest.getInstance("SHA-256");
        final ByteBuffer buf = ByteBuffer.allocate(MIB);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ))
        {
            while (ch.read(buf) >= 0)
            {
                buf.flip();
                md.update(buf);
                buf.clear();
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
