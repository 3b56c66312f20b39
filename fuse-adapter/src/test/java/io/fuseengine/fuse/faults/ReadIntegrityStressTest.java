package io.fuseengine.fuse.faults;

import io.fuseengine.sim.RqbitSim;
import io.fuseengine.sim.SimFile;
import io.fuseengine.sim.SimTorrent;
import io.fuseengine.sim.TorrentSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * 64 threads, 100 000 random-offset reads of random sizes (1 B – 256 KiB, mostly small) across many files through
 * the mount, every byte compared with the generator. Mounted with {@code direct_io} so every read(2) reaches the
 * engine with its own offset and size (the page cache would otherwise answer most of them), with the engine's
 * chunk cache and read-ahead at their defaults. Zero mismatches, zero hangs, bounded threads, no leaked slot.
 */
@Timeout(240)
class ReadIntegrityStressTest
{
    private static final int THREADS = 64;
    /** 100 000 in CI; {@code -Dfe.stress.reads=N} for a soak (benchmarks/soak.sh). */
    private static final int READS = Integer.getInteger("fe.stress.reads", 100_000);
    private static final int FILES = 48;

    @TempDir
    Path tmp;

    private FaultMount fx;

    @AfterEach
    void unmount()
    {
        if (fx != null)
        {
            fx.close();
        }
    }

    /** Mostly small reads: 70 % up to 4 KiB, 25 % up to 64 KiB, 5 % up to 256 KiB. */
    private static int size(final SplittableRandom r)
    {
        final int p = r.nextInt(100);
        if (p < 70)
        {
            return 1 + r.nextInt(4096);
        }
        if (p < 95)
        {
            return 1 + r.nextInt(64 * 1024);
        }
        return 1 + r.nextInt(256 * 1024);
    }

    @Test
    void sixtyFourThreadsReadRandomRangesOfManyFilesAndEveryByteMatchesTheGenerator() throws Exception
    {
        final RqbitSim sim = FaultMount.startSim();
        final List<SimFile> files = new ArrayList<>();
        final List<String> paths = new ArrayList<>();
        final SplittableRandom sizes = new SplittableRandom(42);
        for (int t = 0; t < 6; t++)
        {
            final TorrentSpec.Builder b = TorrentSpec.builder("t" + t).pieceLength(64 * 1024);
            for (int f = 0; f < FILES / 6; f++)
            {
                // 64 KiB – 3 MiB, odd lengths so every file has a ragged last chunk
                b.file(64L * 1024 + sizes.nextInt(3 * 1024 * 1024) | 1, "d" + (f % 3), "f" + f + ".bin");
            }
            final SimTorrent torrent = sim.addTorrent(b.build());
            for (final SimFile f : torrent.files())
            {
                files.add(f);
                paths.add("t" + t + "/" + String.join("/", f.components()));
            }
        }
        fx = FaultMount.start(sim, tmp, c -> c.readTimeout(Duration.ofSeconds(20)).fuseOption("direct_io")
            .cacheSize(64L * 1024 * 1024).cacheChunkSize(256 * 1024).readAheadMax(2L * 1024 * 1024));
        final int baselineThreads = FaultMount.liveThreads();

        final AtomicLong done = new AtomicLong();
        final AtomicLong bytes = new AtomicLong();
        final AtomicReference<String> mismatch = new AtomicReference<>();
        final ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try
        {
            assertTimeoutPreemptively(Duration.ofSeconds(Math.max(180, READS / 400)), () ->
            {
                final List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < THREADS; t++)
                {
                    final long seed = 1000 + t;
                    futures.add(pool.submit(() ->
                    {
                        final SplittableRandom r = new SplittableRandom(seed);
                        final int quota = READS / THREADS + (seed == 1000 ? READS % THREADS : 0);
                        int n = 0;
                        while (n < quota && mismatch.get() == null)
                        {
                            final int fi = r.nextInt(files.size());
                            final SimFile f = files.get(fi);
                            // a handle per burst of reads: opens, releases and reads interleave across threads
                            try (FileChannel ch = FileChannel.open(fx.mnt.resolve(paths.get(fi)), StandardOpenOption.READ))
                            {
                                final int burst = 1 + r.nextInt(40);
                                for (int i = 0; i < burst && n < quota; i++, n++)
                                {
                                    final int len = size(r);
                                    final long pos = r.nextLong(f.length());
                                    final int want = (int)Math.min(len, f.length() - pos);
                                    final ByteBuffer buf = ByteBuffer.allocate(len);
                                    int got = 0;
                                    while (got < want)
                                    {
                                        final int k = ch.read(buf, pos + got);
                                        if (k < 0)
                                        {
                                            break;
                                        }
                                        got += k;
                                    }
                                    final byte[] expected = new byte[want];
                                    f.read(pos, expected, 0, want);
                                    final byte[] actual = Arrays.copyOf(buf.array(), got);
                                    if (got != want || !Arrays.equals(actual, expected))
                                    {
                                        mismatch.compareAndSet(null, paths.get(fi) + " at " + pos + " len " + len + ": got "
                                            + got + " bytes, first difference at +" + Arrays.mismatch(actual, expected));
                                    }
                                    bytes.addAndGet(got);
                                    done.incrementAndGet();
                                }
                            }
                        }
                        return null;
                    }));
                }
                for (final Future<?> f : futures)
                {
                    f.get();
                }
            });
        }
        finally
        {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(mismatch.get()).as("first mismatch").isNull();
        assertThat(done.get()).isEqualTo(READS);
        assertThat(fx.engine().fileSystem().openFiles().openCount()).as("open files after every handle closed").isZero();
        fx.assertNoSlotLeaked();
        FaultMount.assertThreadsBounded(baselineThreads, 24);
        System.out.printf("stress: %d reads, %d MiB, pipeline reads %d, errors %d (read-ahead cancellations %d)%n",
            done.get(), bytes.get() >> 20, fx.engine().pipeline().reads(), fx.engine().pipeline().errors(),
            fx.engine().fileSystem().reader() == null ? 0 : fx.engine().fileSystem().reader().cancellations());
        // every read(2) above returned its bytes (an IOException would have failed its future); and none of the
        // engine's own backend requests ran into the deadline or was refused for want of a slot
        assertThat(fx.engine().pipeline().timeouts()).as("pipeline timeouts").isZero();
        assertThat(fx.engine().pipeline().rejected()).as("pipeline EAGAIN rejections").isZero();
    }
}
