package io.fuseengine.sim;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An rqbit-compatible HTTP server for tests, benchmarks and demos, bound to 127.0.0.1. Its public methods may be
 * called from any thread; lifecycle methods ({@link #stop()}, {@link #restart()}, {@link #close()}) are serialised.
 * Requests are served by a small Netty event loop group; a download simulation, if configured, runs on one more
 * thread.
 */
public final class RqbitSim implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RqbitSim.class);

    private final SimConfig config;
    private final TorrentRegistry registry = new TorrentRegistry();
    private final FaultInjector faults = new FaultInjector();
    private final SimStats stats = new SimStats();
    private final SimServer server;
    private final PieceDownloader downloader;
    private final long startNanos = System.nanoTime();
    private volatile int port;
    private volatile boolean running;
    private boolean closed;

    private RqbitSim(SimConfig config) {
        this.config = config;
        ApiRouter router = new ApiRouter(this);
        this.server = new SimServer(() -> new ConnectionHandler(this, router));
        this.downloader = config.downloadRateBytesPerSecond() > 0
                ? new PieceDownloader(config.downloadRateBytesPerSecond(), registry::list, () -> running)
                : null;
    }

    /** Binds 127.0.0.1 and returns once listening. */
    public static RqbitSim start(SimConfig config) {
        Objects.requireNonNull(config, "config");
        RqbitSim sim = new RqbitSim(config);
        try {
            sim.port = sim.server.bind(config.port());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            sim.close();
            throw new IllegalStateException("interrupted while binding", e);
        } catch (RuntimeException e) {
            sim.close();
            throw e;
        }
        sim.running = true;
        LOG.info("rqbit-sim {} listening on {} ({})", config.version().versionString(), sim.baseUrl(), config);
        return sim;
    }

    public int port() {
        return port;
    }

    /** {@code http://127.0.0.1:<port>} */
    public String baseUrl() {
        return "http://" + SimConstants.HOST + ":" + port;
    }

    public SimConfig config() {
        return config;
    }

    /**
     * Adds a torrent under the next id. With a download rate its pieces start missing, else all present. Re-adding a
     * known info hash returns the existing torrent.
     */
    public SimTorrent addTorrent(TorrentSpec spec) {
        Objects.requireNonNull(spec, "spec");
        SimTorrent t = registry.add(spec, config.downloadRateBytesPerSecond() == 0);
        LOG.debug("serving {}", t);
        return t;
    }

    /** By decimal id or 40-hex info hash. */
    public Optional<SimTorrent> torrent(String idOrInfoHash) {
        return registry.find(idOrInfoHash);
    }

    /** Sorted by id. */
    public List<SimTorrent> torrents() {
        return registry.list();
    }

    /** Same as {@code POST /torrents/{id}/forget}; streams of that torrent are closed. */
    public boolean forget(String idOrInfoHash) {
        Optional<SimTorrent> t = registry.remove(idOrInfoHash);
        t.ifPresent(SimTorrent::markRemoved);
        return t.isPresent();
    }

    /** Closes the listening socket and every connection (daemon down); torrents are kept. Idempotent. */
    public synchronized void stop() {
        running = false;
        server.unbind();
        LOG.info("rqbit-sim on port {} stopped", port);
    }

    /**
     * Stop, then listen again on the same port. Torrents keep their info hashes but get new ids (reversed order,
     * above every id given before), like a restarted daemon may number them differently.
     */
    public synchronized void restart() {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        stop();
        registry.renumber();
        try {
            server.bind(port);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while binding", e);
        }
        running = true;
        LOG.info("rqbit-sim restarted on {}", baseUrl());
    }

    public FaultInjector faults() {
        return faults;
    }

    public SimStats stats() {
        return stats;
    }

    /** Stops serving and releases every thread and socket; the port is free afterwards. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        running = false;
        if (downloader != null) {
            downloader.close();
        }
        server.shutdown();
        registry.list().forEach(SimTorrent::closeFiles);
        LOG.info("rqbit-sim on port {} closed", port);
    }

    // ---- package-private, for the HTTP layer ----

    TorrentRegistry registry() {
        return registry;
    }

    SimStats statsInternal() {
        return stats;
    }

    long downloadRate() {
        return config.downloadRateBytesPerSecond();
    }

    long uptimeSeconds() {
        return (System.nanoTime() - startNanos) / 1_000_000_000L;
    }

    void removeTorrent(SimTorrent t, boolean delete) {
        registry.remove(t.infoHash());
        t.markRemoved();
        LOG.debug("{} {} (files on disk are never deleted by the simulator)", delete ? "deleted" : "forgot", t);
    }
}
