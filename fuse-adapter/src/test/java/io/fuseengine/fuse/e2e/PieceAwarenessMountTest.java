package io.fuseengine.fuse.e2e;

import io.fuseengine.core.meta.PieceMap;
import io.fuseengine.sim.RqbitSim;
import io.fuseengine.sim.SimFile;
import io.fuseengine.sim.SimTorrent;
import io.fuseengine.sim.TorrentSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Piece awareness through a real FUSE mount: rqbit-sim with a half-downloaded torrent whose missing pieces stall
 * until the test releases them. Reads of pieces rqbit has are never stuck behind reads waiting on the swarm, and a
 * paused torrent's missing pieces fail at once with EAGAIN instead of at the read deadline.
 */
@Timeout(120)
class PieceAwarenessMountTest
{
    private static final int PIECE = 256 * 1024;
    /** Pieces of data.bin; notes.txt (after it) makes the torrent a directory and adds a 65th, short piece. */
    private static final int PIECES = 64;
    /** Pieces 0-31 (the first 8 MiB) are missing. */
    private static final int MISSING = 32;
    /** Far longer than any wait of these tests: a read that waits for its deadline fails the test's own guard. */
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);
    private static final int MAX_CONNECTIONS = 4;

    @TempDir
    Path tmp;

    private SimMount fx;
    private ExecutorService pool;

    @AfterEach
    void tearDown() throws Exception
    {
        if (pool != null)
        {
            pool.shutdownNow();
        }
        if (fx != null)
        {
            fx.close(); // also releases readers still blocked in the mount
        }
        if (pool != null)
        {
            assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    private SimTorrent halfDownloaded(final RqbitSim sim, final String name)
    {
        final SimTorrent t = sim.addTorrent(TorrentSpec.builder(name).pieceLength(PIECE)
            .file((long)PIECES * PIECE, "data.bin").file(1000, "notes.txt").build());
        for (int p = 0; p < MISSING; p++)
        {
            t.markPieceMissing(p);
        }
        return t;
    }

    private void mount(final RqbitSim sim) throws IOException
    {
        fx = SimMount.start(sim, tmp, c -> c
            .readTimeout(READ_TIMEOUT)
            .maxConnections(MAX_CONNECTIONS)
            // no read-ahead, small chunks: every FUSE read asks rqbit for its own range
            .cacheSize(16L * 1024 * 1024)
            .cacheChunkSize(64 * 1024)
            .readAheadMax(0));
        pool = Executors.newCachedThreadPool();
    }

    private Future<byte[]> readAsync(final Path file, final long offset, final int length)
    {
        return pool.submit(() ->
        {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ))
            {
                return SimMount.readAt(ch, offset, length);
            }
        });
    }

    private static byte[] expected(final SimFile file, final long offset, final int length)
    {
        final byte[] b = new byte[length];
        file.read(offset, b, 0, length);
        return b;
    }

    private static void post(final RqbitSim sim, final SimTorrent t, final String what) throws Exception
    {
        final HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create(sim.baseUrl() + "/torrents/" + t.infoHash() + "/" + what))
            .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("POST %s: %s", what, r.body()).isEqualTo(200);
    }

    @Test
    void shouldServeHadPiecesWhileOtherReadsWaitOnMissingPieces() throws Exception
    {
        final RqbitSim sim = SimMount.startSim();
        final SimTorrent t = halfDownloaded(sim, "partial");
        mount(sim);
        final Path data = fx.mnt.resolve("partial/data.bin");
        final SimFile file = t.files().get(0);

        // max-connections readers, each blocked on a missing piece
        final long[] missingOffsets = {2L * PIECE, 8L * PIECE, 14L * PIECE, 20L * PIECE};
        final List<Future<byte[]>> blocked = new ArrayList<>();
        for (final long offset : missingOffsets)
        {
            blocked.add(readAsync(data, offset, 64 * 1024));
        }
        assertThat(SimMount.await(Duration.ofSeconds(15), () -> sim.stats().openStreams() >= MAX_CONNECTIONS - 1))
            .as("the blocked reads reached rqbit (open streams: %d)", sim.stats().openStreams()).isTrue();

        // a read of pieces rqbit has completes while they still wait
        final long hadOffset = 48L * PIECE + 4096;
        final byte[] had = readAsync(data, hadOffset, 64 * 1024).get(20, TimeUnit.SECONDS);
        assertThat(had).isEqualTo(expected(file, hadOffset, 64 * 1024));
        for (final Future<byte[]> f : blocked)
        {
            assertThat(f.isDone()).as("a read of a missing piece is still waiting").isFalse();
        }

        // the swarm delivers: every blocked read completes with the right bytes
        for (int p = 0; p < MISSING; p++)
        {
            t.markPiecePresent(p);
        }
        for (int i = 0; i < missingOffsets.length; i++)
        {
            assertThat(blocked.get(i).get(30, TimeUnit.SECONDS)).isEqualTo(expected(file, missingOffsets[i], 64 * 1024));
        }
        assertThat(fx.engine().pieceAvailability().readsAvailable()).isPositive();
        assertThat(fx.engine().pieceRefresher().havesFetches()).isPositive();
        assertThat(SimMount.await(Duration.ofSeconds(10), () -> fx.engine().pipeline().slots().inUse() == 0)).isTrue();
    }

    @Test
    void shouldFailFastWithEagainWhenTorrentIsPaused() throws Exception
    {
        final RqbitSim sim = SimMount.startSim();
        final SimTorrent t = halfDownloaded(sim, "paused");
        post(sim, t, "pause");
        mount(sim);
        final Path data = fx.mnt.resolve("paused/data.bin");
        final SimFile file = t.files().get(0);

        // RandomAccessFile, not FileChannel: the JDK's FileChannel turns EAGAIN into "0 bytes read, try again"
        final Future<Integer> missing = pool.submit(() ->
        {
            try (RandomAccessFile raf = new RandomAccessFile(data.toFile(), "r"))
            {
                raf.seek(5L * PIECE);
                return raf.read(new byte[64 * 1024]);
            }
        });
        final Throwable failure = catchThrowable(() -> missing.get(10, TimeUnit.SECONDS));
        assertThat(failure).as("the read failed well before its %s deadline", READ_TIMEOUT)
            .isInstanceOf(ExecutionException.class);
        assertThat(failure.getCause()).isInstanceOf(IOException.class)
            .hasMessageContaining("Resource temporarily unavailable");

        // pieces it has are still served while it is paused
        final long hadOffset = 40L * PIECE + 100;
        try (RandomAccessFile raf = new RandomAccessFile(data.toFile(), "r"))
        {
            final byte[] got = new byte[32 * 1024];
            raf.seek(hadOffset);
            raf.readFully(got);
            assertThat(got).isEqualTo(expected(file, hadOffset, got.length));
        }
        assertThat(fx.engine().pieceAvailability().pausedFailures()).isPositive();

        // resumed: the read waits for the piece again and gets it
        post(sim, t, "start");
        assertThat(SimMount.await(Duration.ofSeconds(10), () ->
            fx.engine().pieceAvailability().snapshot(t.infoHash()).state() == PieceMap.STATE_LIVE)).isTrue();
        final Future<byte[]> resumed = readAsync(data, 5L * PIECE, 64 * 1024);
        assertThat(SimMount.await(Duration.ofSeconds(10), () -> sim.stats().openStreams() >= 1)).isTrue();
        assertThat(resumed.isDone()).isFalse();
        t.markPiecePresent(5);
        assertThat(resumed.get(20, TimeUnit.SECONDS)).isEqualTo(expected(file, 5L * PIECE, 64 * 1024));
    }
}
