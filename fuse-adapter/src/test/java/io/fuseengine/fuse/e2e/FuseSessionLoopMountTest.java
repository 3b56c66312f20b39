package io.fuseengine.fuse.e2e;

import io.fuseengine.fuse.fs.TorrentFileSystem;
import io.fuseengine.fuse.mount.FuseSessionLoop;
import io.fuseengine.fuse.mount.MountTable;
import io.fuseengine.sim.RqbitSim;
import io.fuseengine.sim.SimFile;
import io.fuseengine.sim.TorrentSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The FUSE session loop on Java threads ({@link FuseSessionLoop}) under a real mount: callbacks run on its
 * {@code fuse-N} workers, a burst of readers grows the pool and leaves at most {@link FuseSessionLoop#MAX_IDLE_WORKERS}
 * idle behind, and an unmount ends every worker and tears the session down.
 */
@Timeout(120)
class FuseSessionLoopMountTest
{
    private static final int MIB = 1024 * 1024;

    @TempDir
    Path tmp;
    private SimMount fx;

    @AfterEach
    void close()
    {
        if (fx != null)
        {
            fx.close();
        }
    }

    @Test
    void callbacksRunOnTheLoopsJavaWorkersWhichGrowUnderABurstAndAllEndAtUnmount() throws Exception
    {
        final RqbitSim sim = SimMount.startSim();
        final List<SimFile> files = new ArrayList<>();
        for (int i = 0; i < 8; i++)
        {
            files.add(sim.addTorrent(TorrentSpec.singleFile("f" + i + ".bin", 3L * MIB + i)).files().get(0));
        }
        fx = SimMount.start(sim, tmp, c -> { });
        final TorrentFileSystem fs = fx.engine().fileSystem();
        final FuseSessionLoop loop = fs.sessionLoop();
        assertThat(loop).isNotNull();
        final Set<String> readThreads = ConcurrentHashMap.newKeySet();
        fs.readObserver(ns -> readThreads.add(Thread.currentThread().getName()));

        // 8 readers at once, each file read whole and compared: every worker is busy at some point, so more start
        final ExecutorService pool = Executors.newFixedThreadPool(files.size());
        final CountDownLatch go = new CountDownLatch(1);
        try
        {
            final List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < files.size(); i++)
            {
                final SimFile f = files.get(i);
                final Path p = fx.mnt.resolve("f" + i + ".bin");
                results.add(pool.submit(() ->
                {
                    go.await();
                    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ))
                    {
                        final byte[] got = SimMount.readAt(ch, 0, (int)f.length());
                        final byte[] want = new byte[(int)f.length()];
                        f.read(0, want, 0, want.length);
                        return Arrays.equals(got, want);
                    }
                }));
            }
            go.countDown();
            for (final Future<Boolean> r : results)
            {
                assertThat(r.get(60, TimeUnit.SECONDS)).isTrue();
            }
        }
        finally
        {
            pool.shutdownNow();
        }

        assertThat(readThreads).isNotEmpty().allMatch(n -> n.startsWith("fuse-"), "a fuse-N worker");
        assertThat(loop.workersStarted()).isGreaterThan(1);
        assertThat(loop.workersAlive()).isLessThanOrEqualTo(FuseSessionLoop.MAX_IDLE_WORKERS + 1);

        final Path mnt = fx.mnt;
        fx.close();
        fx = null;
        assertThat(loop.awaitTeardown(10, TimeUnit.SECONDS)).as("session torn down after unmount").isTrue();
        assertThat(loop.workersAlive()).isZero();
        assertThat(SimMount.await(Duration.ofSeconds(5), () -> !MountTable.isMountPoint(mnt))).isTrue();
    }
}
