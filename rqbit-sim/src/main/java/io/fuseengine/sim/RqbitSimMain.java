package io.fuseengine.sim;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/**
 * Standalone simulator: {@code --port 3030 --version V9 --rate BYTES --sample [--huge] [--dir PATH]
 * [--user U --password P]}. With {@code --dir}, each top-level entry of PATH becomes a torrent (a directory a
 * multi-file torrent, a file a single-file one). Runs until SIGTERM/SIGINT. The main thread only parses and waits.
 */
public final class RqbitSimMain {
    private static final Logger LOG = LoggerFactory.getLogger(RqbitSimMain.class);

    private RqbitSimMain() {
    }

    public static void main(String[] args) {
        SimConfig.Builder cfg = SimConfig.builder().port(3030);
        boolean sample = false;
        boolean huge = false;
        Path dir = null;
        String user = null;
        String password = null;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--port":
                        cfg.port(Integer.parseInt(args[++i]));
                        break;
                    case "--version":
                        cfg.version(RqbitVersion.valueOf(args[++i].toUpperCase(Locale.ROOT)));
                        break;
                    case "--rate":
                        cfg.downloadRateBytesPerSecond(Long.parseLong(args[++i]));
                        break;
                    case "--sample":
                        sample = true;
                        break;
                    case "--huge":
                        huge = true;
                        break;
                    case "--dir":
                        dir = Path.of(args[++i]);
                        break;
                    case "--user":
                        user = args[++i];
                        break;
                    case "--password":
                        password = args[++i];
                        break;
                    case "--help":
                    case "-h":
                        usage();
                        return;
                    default:
                        throw new IllegalArgumentException("unknown argument " + args[i]);
                }
            }
            if ((user == null) != (password == null)) {
                throw new IllegalArgumentException("--user and --password go together");
            }
        } catch (RuntimeException e) {
            System.err.println("rqbit-sim: " + e.getMessage());
            usage();
            System.exit(2);
            return;
        }
        if (user != null) {
            cfg.basicAuth(user, password);
        }
        RqbitSim sim = RqbitSim.start(cfg.build());
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            sim.close();
            done.countDown();
        }, "rqbit-sim-shutdown"));
        if (sample || huge) {
            SampleLibrary.install(sim, huge);
        }
        if (dir != null) {
            addDirectory(sim, dir);
        }
        for (SimTorrent t : sim.torrents()) {
            System.out.println(t.id() + "\t" + t.infoHash() + "\t" + t.name());
        }
        System.out.println("rqbit-sim " + sim.config().version().versionString() + " listening on " + sim.baseUrl());
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void addDirectory(RqbitSim sim, Path dir) {
        List<Path> entries;
        try (Stream<Path> s = Files.list(dir)) {
            entries = s.sorted().toList();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot list " + dir, e);
        }
        for (Path p : entries) {
            try {
                sim.addTorrent(TorrentSpec.fromPath(p));
            } catch (RuntimeException e) {
                LOG.warn("skipping {}: {}", p, e.getMessage());
            }
        }
    }

    private static void usage() {
        System.err.println("usage: rqbit-sim [--port 3030] [--version V7|V8|V9] [--rate BYTES_PER_SECOND] [--sample]"
                + " [--huge] [--dir PATH] [--user U --password P]");
    }
}
