package io.fuseengine.transport;

import io.fuseengine.core.read.StreamTarget;
import io.fuseengine.sim.RqbitSim;
import io.fuseengine.sim.RqbitVersion;
import io.fuseengine.sim.SimConfig;
import io.fuseengine.sim.SimFile;
import io.fuseengine.sim.SimTorrent;
import io.fuseengine.sim.TorrentSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.fuseengine.transport.TransportHarness.assertBytes;
import static io.fuseengine.transport.TransportHarness.target;
import static org.assertj.core.api.Assertions.assertThat;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NettyRangeTransportReadTest
{
    private static final int MIB = 1024 * 1024;

    private RqbitSim sim;
    private SimTorrent torrent;
    private SimFile file;
    private StreamTarget target;
    private TransportHarness h;

    @BeforeEach
    void setUp()
    {
        sim = RqbitSim.start(SimConfig.builder().version(RqbitVersion.V9).downloadRateBytesPerSecond(0).port(0).build());
        torrent = sim.addTorrent(TorrentSpec.builder("movies").pieceLength(262144)
            .file(3 * MIB + 12345, "dir", "a.bin")
            .paddingFile(7)
            .file(64 * MIB, "big.bin")
            .build());
        file = torrent.files().get(0);
        target = target(torrent, file);
        h = new TransportHarness(sim, c -> { });
    }

    @AfterEach
    void tearDown()
    {
        if (h != null)
        {
            h.close();
        }
        sim.close();
    }

    @Test
    void shouldReadExactBytesAtRandomOffsetsAndSizes()
    {
        final SplittableRandom random = new SplittableRandom(42);
        // sizes 1 B .. 1 MiB; the volume is kept small because tests run with PARANOID leak detection (~20x slower)
        for (int i = 0; i < 40; i++)
        {
            final int length = i % 20 == 0 ? MIB : 1 + random.nextInt(i % 4 == 0 ? 256 * 1024 : 4096);
            final long offset = random.nextLong(file.length() - length + 1);
            final TransportHarness.Result r = h.read(target, offset, length);
            assertThat(r.result()).as("read %d at %d", length, offset).isEqualTo(length);
            assertBytes(file, offset, r);
        }
        assertThat(h.transport.legacyMode()).isFalse();
        assertThat(h.transport.errorsTotal()).isZero();
        assertThat(h.transport.bytesReceived()).isPositive();
    }

    @Test
    void shouldReadLargeBodiesStraightIntoTheDestinationAndTheSameBytesThroughPooledBuffers()
    {
        final SimFile bigFile = torrent.files().stream().filter(f -> f.name().equals("big.bin")).findFirst().orElseThrow();
        final StreamTarget big = target(torrent, bigFile);
        try (TransportHarness direct = new TransportHarness(sim, c -> { }, true))
        {
            for (final long offset : new long[] {0, 7L * MIB + 3, 60L * MIB - 1})
            {
                final TransportHarness.Result r = direct.read(big, offset, 4 * MIB - 1);
                assertThat(r.result()).isEqualTo(4 * MIB - 1);
                assertBytes(bigFile, offset, r);
            }
            if (DirectBodyRecvAllocator.supported())
            {
                assertThat(direct.transport.directBytes()).as("body bytes that skipped the receive-buffer copy")
                    .isGreaterThan(6L * MIB);
            }
        }
        if (Runtime.version().feature() < 24)
        {
            // Java 17-23: Netty has Unsafe, and the wrapped destination is jffi's NewDirectByteBuffer (no Netty
            // property needed); Netty runs without Unsafe on 24+ by default, and the transport then reads through
            // pooled buffers only
            assertThat(DirectBodyRecvAllocator.supported()).as("Netty can wrap raw addresses in this JVM").isTrue();
        }

        try (TransportHarness pooled = new TransportHarness(sim, c -> { }, false))
        {
            for (final long offset : new long[] {0, 7L * MIB + 3, 60L * MIB - 1})
            {
                final TransportHarness.Result r = pooled.read(big, offset, 4 * MIB - 1);
                assertThat(r.result()).isEqualTo(4 * MIB - 1);
                assertBytes(bigFile, offset, r);
            }
            assertThat(pooled.transport.directBytes()).isZero();
        }
    }

    @Test
    void shouldReadLastByteAndClampAtEndOfFile()
    {
        final TransportHarness.Result last = h.read(target, file.length() - 1, 1);
        assertThat(last.result()).isEqualTo(1);
        assertBytes(file, file.length() - 1, last);

        final TransportHarness.Result tail = h.read(target, file.length() - 100, 4096);
        assertThat(tail.result()).isEqualTo(100);
        assertBytes(file, file.length() - 100, tail);
    }

    @Test
    void shouldReturnZeroForZeroLengthAndPastEndReadsWithoutAskingTheDaemon()
    {
        final long before = sim.stats().streamRequests();
        assertThat(h.read(target, 0, 0).result()).isZero();
        assertThat(h.read(target, file.length(), 4096).result()).isZero();
        assertThat(sim.stats().streamRequests()).isEqualTo(before);
    }

    @Test
    void shouldReadPastFourGibibytesOfAFiveGibibyteFile()
    {
        final SimTorrent huge = sim.addTorrent(TorrentSpec.singleFile("huge.iso", 5L * 1024 * MIB));
        final SimFile f = huge.files().get(0);
        final StreamTarget t = target(huge, f);
        for (final long offset : new long[] {4L * 1024 * MIB - 10, 4L * 1024 * MIB + 123_456_789L, f.length() - 4096})
        {
            final TransportHarness.Result r = h.read(t, offset, 4096);
            assertThat(r.result()).isEqualTo(4096);
            assertBytes(f, offset, r);
        }
    }

    @Test
    void shouldServeManyConcurrentReadersOverAtMostFourConnections() throws Exception
    {
        final SimFile big = torrent.files().get(2);
        final StreamTarget t = target(torrent, big);
        sim.stats().resetPeak();
        final int readers = 64;
        final ExecutorService pool = Executors.newFixedThreadPool(readers);
        final CountDownLatch go = new CountDownLatch(1);
        try
        {
            final List<Future<Integer>> results = new ArrayList<>();
            for (int i = 0; i < readers; i++)
            {
                final int seed = i;
                results.add(pool.submit(() ->
                {
                    go.await();
                    final SplittableRandom random = new SplittableRandom(seed);
                    int ok = 0;
                    for (int j = 0; j < 4; j++)
                    {
                        final int length = 1 + random.nextInt(32 * 1024);
                        final long offset = random.nextLong(big.length() - length);
                        final TransportHarness.Result r = h.read(t, offset, length);
                        assertThat(r.result()).isEqualTo(length);
                        assertBytes(big, offset, r);
                        ok++;
                    }
                    return ok;
                }));
            }
            go.countDown();
            for (final Future<Integer> f : results)
            {
                assertThat(f.get(30, TimeUnit.SECONDS)).isEqualTo(4);
            }
        }
        finally
        {
            pool.shutdownNow();
        }
        assertThat(sim.stats().peakOpenStreams()).isLessThanOrEqualTo(4);
        assertThat(h.transport.connectionsOpened()).isLessThanOrEqualTo(4);
        assertThat(h.transport.openConnections()).isLessThanOrEqualTo(4);
    }

    @Test
    void shouldCloseIdleConnectionsAfterTheIdleTimeout()
    {
        h.close();
        h = new TransportHarness(sim, c -> c.idleConnectionTimeout(Duration.ofMillis(200)));
        assertThat(h.read(target, 0, 4096).result()).isEqualTo(4096);
        assertThat(TransportHarness.eventually(Duration.ofSeconds(3), () -> h.transport.openConnections() == 0))
            .as("transport closed its idle connection").isTrue();
        assertThat(TransportHarness.eventually(Duration.ofSeconds(3), () -> sim.stats().openConnections() == 0))
            .as("sim saw the connection close").isTrue();
    }

    @Test
    void shouldReuseKeepAliveConnectionForSequentialReads()
    {
        for (int i = 0; i < 20; i++)
        {
            assertThat(h.read(target, i * 65536L, 65536).result()).isEqualTo(65536);
        }
        assertThat(h.transport.connectionsOpened()).isEqualTo(1);
        assertThat(h.transport.requestsSent()).isEqualTo(20);
    }
}
