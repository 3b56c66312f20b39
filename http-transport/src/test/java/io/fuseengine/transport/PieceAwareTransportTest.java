package io.fuseengine.transport;

import io.fuseengine.core.config.EngineConfig;
import io.fuseengine.core.errno.Errno;
import io.fuseengine.core.meta.PieceMap;
import io.fuseengine.core.read.PieceAvailability;
import io.fuseengine.core.read.PieceRefresher;
import io.fuseengine.core.read.ReadPipeline;
import io.fuseengine.core.read.StreamTarget;
import io.fuseengine.sim.RqbitSim;
import io.fuseengine.sim.RqbitVersion;
import io.fuseengine.sim.SimConfig;
import io.fuseengine.sim.SimFile;
import io.fuseengine.sim.SimTorrent;
import io.fuseengine.sim.TorrentSpec;
import org.agrona.BufferUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.fuseengine.transport.TransportHarness.assertBytes;
import static io.fuseengine.transport.TransportHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Piece awareness in the transport, end to end over loopback: a real pipeline and transport, the piece refresher
 * polling the simulator's {@code /haves} and {@code stats/v1}, and pieces that stay missing until the test marks
 * them present.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PieceAwareTransportTest
{
    private static final int PIECE = 64 * 1024;
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);

    private RqbitSim sim;
    private SimTorrent torrent;
    private SimFile file;
    private StreamTarget target;
    private NettyRangeTransport transport;
    private PieceAvailability pieces;
    private ReadPipeline pipeline;
    private RqbitHttpMetadata metadata;
    private PieceRefresher refresher;
    private ExecutorService pool;

    private void start(final int maxConnections)
    {
        sim = RqbitSim.start(SimConfig.builder().version(RqbitVersion.V9).downloadRateBytesPerSecond(0).port(0).build());
        torrent = sim.addTorrent(TorrentSpec.builder("partly").pieceLength(PIECE).singleFile(64L * PIECE).build());
        for (int p = 0; p < 32; p++)
        {
            torrent.markPieceMissing(p); // the first half stalls until the test releases it
        }
        file = torrent.files().get(0);
        target = TransportHarness.target(torrent, file);
        final EngineConfig config = EngineConfig.context().rqbitUrl(sim.baseUrl()).readTimeout(READ_TIMEOUT)
            .metadataTimeout(Duration.ofSeconds(5)).maxConnections(maxConnections).conclude();
        transport = new NettyRangeTransport(config);
        pieces = new PieceAvailability();
        transport.pieceAvailability(pieces);
        pipeline = new ReadPipeline(64, 256, READ_TIMEOUT.toNanos(), transport);
        metadata = new RqbitHttpMetadata(config);
        refresher = new PieceRefresher(metadata, pieces, READ_TIMEOUT, config.metadataTimeout());
        refresher.start();
        pool = Executors.newCachedThreadPool();
    }

    @AfterEach
    void tearDown() throws Exception
    {
        if (pool != null)
        {
            pool.shutdownNow();
        }
        if (refresher != null)
        {
            refresher.close();
        }
        if (pipeline != null)
        {
            pipeline.close();
        }
        if (metadata != null)
        {
            metadata.close();
        }
        if (sim != null)
        {
            sim.close();
        }
    }

    private Future<TransportHarness.Result> read(final long offset, final int length)
    {
        return pool.submit(() ->
        {
            final ByteBuffer buffer = ByteBuffer.allocateDirect(length);
            final long t0 = System.nanoTime();
            final int n = pipeline.read(target, offset, length, BufferUtil.address(buffer));
            final byte[] bytes = new byte[Math.max(0, n)];
            buffer.get(0, bytes);
            return new TransportHarness.Result(n, bytes, System.nanoTime() - t0);
        });
    }

    private void post(final String what) throws Exception
    {
        final HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create(sim.baseUrl() + "/torrents/" + torrent.infoHash() + "/" + what))
            .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("POST %s: %s", what, r.body()).isEqualTo(200);
    }

    @Test
    void shouldKeepOneConnectionForPiecesRqbitHasWhileOtherReadsWaitForTheSwarm() throws Exception
    {
        start(2);
        final List<Future<TransportHarness.Result>> blocked = new ArrayList<>();
        final long[] offsets = {PIECE, 5L * PIECE, 9L * PIECE};
        for (final long offset : offsets)
        {
            blocked.add(read(offset, 16 * 1024));
        }
        assertThat(eventually(Duration.ofSeconds(10), () -> sim.stats().openStreams() >= 1
            && pieces.snapshot(torrent.infoHash()) != null && pieces.snapshot(torrent.infoHash()).hasBits()))
            .as("a missing read reached rqbit and the bitfield is known").isTrue();

        final TransportHarness.Result had = read(40L * PIECE + 123, 32 * 1024).get(10, TimeUnit.SECONDS);
        assertThat(had.result()).isEqualTo(32 * 1024);
        assertBytes(file, 40L * PIECE + 123, had);
        for (final Future<TransportHarness.Result> f : blocked)
        {
            assertThat(f.isDone()).as("reads of missing pieces still wait").isFalse();
        }
        // the answered read's stream may still be closing on the sim's side; the missing reads' never close
        assertThat(eventually(Duration.ofSeconds(5), () -> sim.stats().openStreams() <= 1))
            .as("missing reads hold max-connections - 1 (open streams: %d)", sim.stats().openStreams()).isTrue();
        assertThat(pieces.readsAvailable()).isGreaterThanOrEqualTo(1);

        for (int p = 0; p < 32; p++)
        {
            torrent.markPiecePresent(p);
        }
        for (int i = 0; i < offsets.length; i++)
        {
            final TransportHarness.Result r = blocked.get(i).get(20, TimeUnit.SECONDS);
            assertThat(r.result()).isEqualTo(16 * 1024);
            assertBytes(file, offsets[i], r);
        }
        assertThat(eventually(Duration.ofSeconds(5), () -> pipeline.slots().inUse() == 0)).isTrue();
        assertThat(transport.errorsTotal()).isZero();
    }

    @Test
    void shouldFailReadsOfAPausedTorrentsMissingPiecesAtOnceAndStillServeItsOtherPieces() throws Exception
    {
        start(4);
        // a read waiting for a missing piece while the torrent is live...
        final Future<TransportHarness.Result> waiting = read(3L * PIECE, 4096);
        assertThat(eventually(Duration.ofSeconds(10), () -> sim.stats().openStreams() >= 1)).isTrue();
        assertThat(waiting.isDone()).isFalse();
        // ...fails as soon as the torrent is seen paused, long before its 60 s deadline
        post("pause");
        final TransportHarness.Result failed = waiting.get(10, TimeUnit.SECONDS);
        assertThat(failed.result()).isEqualTo(-Errno.EAGAIN);

        final TransportHarness.Result again = read(20L * PIECE, 4096).get(10, TimeUnit.SECONDS);
        assertThat(again.result()).as("a new read of a missing piece").isEqualTo(-Errno.EAGAIN);
        final TransportHarness.Result had = read(50L * PIECE, 8192).get(10, TimeUnit.SECONDS);
        assertThat(had.result()).as("pieces it has are still served").isEqualTo(8192);
        assertBytes(file, 50L * PIECE, had);
        assertThat(pieces.pausedFailures()).isEqualTo(2);
        assertThat(transport.errors(Errno.EAGAIN)).isEqualTo(2);

        post("start");
        // the state is as old as the last poll (at most ~0.5 s while reads wait): until then reads still fail fast
        assertThat(eventually(Duration.ofSeconds(10),
            () -> pieces.snapshot(torrent.infoHash()).state() == PieceMap.STATE_LIVE)).isTrue();
        final Future<TransportHarness.Result> resumed = read(20L * PIECE, 4096);
        assertThat(eventually(Duration.ofSeconds(10), () -> sim.stats().openStreams() >= 1)).isTrue();
        torrent.markPiecePresent(20);
        final TransportHarness.Result r = resumed.get(10, TimeUnit.SECONDS);
        assertThat(r.result()).as("resumed: the read waits for the piece and gets it").isEqualTo(4096);
        assertBytes(file, 20L * PIECE, r);
        assertThat(eventually(Duration.ofSeconds(5), () -> pipeline.slots().inUse() == 0)).isTrue();
    }
}
