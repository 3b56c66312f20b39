package io.fuseengine.bench.mount;

import com.sun.net.httpserver.HttpServer;
import io.fuseengine.sim.RqbitSim;
import io.fuseengine.sim.SimConfig;
import io.fuseengine.sim.SimStats;
import io.fuseengine.sim.SimTorrent;
import io.fuseengine.sim.TorrentSpec;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/**
 * rqbit-sim for the mount benchmark: exactly what {@code fuse-engine.jar sim --port P --dir DIR} runs (every top-level
 * entry of DIR a torrent, all pieces present, no rate limit), plus a side endpoint on 127.0.0.1:{@code statsPort}:
 * {@code GET /} answers {@code streamBytes streamRequests metadataRequests peakOpenStreams} (one line), so the
 * benchmark can count the bytes the backend served during a workload (rqbit-sim has no HTTP route for its counters).
 * <p>
 * {@code java -cp benchmarks.jar io.fuseengine.bench.mount.BenchSim <port> <statsPort> <dir>}; runs until SIGTERM.
 */
public final class BenchSim
{
    private BenchSim()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        if (args.length != 3)
        {
            System.err.println("usage: BenchSim <port> <statsPort> <dir>");
            System.exit(2);
        }
        final RqbitSim sim = RqbitSim.start(SimConfig.builder().port(Integer.parseInt(args[0])).build());
        final List<Path> entries;
        try (Stream<Path> s = Files.list(Path.of(args[2])))
        {
            entries = s.sorted().toList();
        }
        for (final Path p : entries)
        {
            sim.addTorrent(TorrentSpec.fromPath(p));
        }
        final HttpServer side = HttpServer.create(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(args[1])), 16);
        side.createContext("/", ex ->
        {
            final SimStats st = sim.stats();
            final byte[] body = (st.streamBytesServed() + " " + st.streamRequests() + " " + st.metadataRequests() + " "
                + st.peakOpenStreams() + "\n").getBytes(StandardCharsets.US_ASCII);
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream o = ex.getResponseBody())
            {
                o.write(body);
            }
            catch (final IOException ignored)
            {
                // client went away
            }
        });
        side.start();
        final CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            side.stop(0);
            sim.close();
            done.countDown();
        }, "bench-sim-shutdown"));
        for (final SimTorrent t : sim.torrents())
        {
            System.out.println(t.id() + "\t" + t.infoHash() + "\t" + t.name());
        }
        System.out.println("bench-sim listening on " + sim.baseUrl() + ", stats on 127.0.0.1:" + args[1]);
        System.out.flush();
        done.await();
    }
}
