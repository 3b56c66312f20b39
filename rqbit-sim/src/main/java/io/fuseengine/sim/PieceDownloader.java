package io.fuseengine.sim;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Simulated download: one daemon thread ("rqbit-sim-downloader") that every few milliseconds earns
 * {@code rate × elapsed} bytes of budget and spends it on whole pieces, choosing first the missing pieces within
 * 32 MiB ahead of an open stream (streams taken in turn), else the lowest missing piece (torrents taken in turn).
 * Paused torrents are skipped. Marking a piece present wakes the streams waiting for it.
 */
final class PieceDownloader implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PieceDownloader.class);

    private final long rate;
    private final Supplier<List<SimTorrent>> torrents;
    private final BooleanSupplier running;
    private final ScheduledExecutorService exec;
    private long lastTick;
    private double budget;
    private int rotation;

    PieceDownloader(long bytesPerSecond, Supplier<List<SimTorrent>> torrents, BooleanSupplier running) {
        this.rate = bytesPerSecond;
        this.torrents = torrents;
        this.running = running;
        this.exec = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "rqbit-sim-downloader");
            t.setDaemon(true);
            return t;
        });
        this.lastTick = System.nanoTime();
        exec.scheduleWithFixedDelay(this::tickSafely, SimConstants.DOWNLOAD_TICK_MS, SimConstants.DOWNLOAD_TICK_MS,
                TimeUnit.MILLISECONDS);
    }

    long rate() {
        return rate;
    }

    private void tickSafely() {
        try {
            tick();
        } catch (RuntimeException e) {
            LOG.error("downloader tick failed", e);
        }
    }

    /** Downloader thread only. */
    private void tick() {
        long now = System.nanoTime();
        double earned = rate * ((now - lastTick) / 1e9);
        lastTick = now;
        if (!running.getAsBoolean()) {
            budget = 0;
            return;
        }
        budget += earned;
        List<SimTorrent> list = torrents.get();
        while (true) {
            Choice c = choose(list);
            if (c == null) {
                budget = 0; // nothing to fetch: no credit piles up while idle
                return;
            }
            long size = c.torrent.pieceSize(c.piece);
            if (budget < size) {
                return;
            }
            budget -= size;
            c.torrent.markPiecePresent(c.piece);
        }
    }

    private Choice choose(List<SimTorrent> list) {
        int n = list.size();
        if (n == 0) {
            return null;
        }
        rotation++;
        List<Choice> streamWants = new ArrayList<>();
        for (SimTorrent t : list) {
            if (t.isPaused() || t.isRemoved() || t.allPresent()) {
                continue;
            }
            for (SimTorrent.StreamCursor c : t.cursors()) {
                long pos = c.position;
                long end = Math.min(c.endExclusive, pos + SimConstants.STREAM_PRIORITY_WINDOW);
                if (end <= pos) {
                    continue;
                }
                int p = t.firstMissingPiece(t.pieceOf(pos), t.pieceOf(end - 1));
                if (p >= 0) {
                    streamWants.add(new Choice(t, p));
                }
            }
        }
        if (!streamWants.isEmpty()) {
            return streamWants.get(Math.floorMod(rotation, streamWants.size()));
        }
        for (int i = 0; i < n; i++) {
            SimTorrent t = list.get(Math.floorMod(rotation + i, n));
            if (t.isPaused() || t.isRemoved() || t.allPresent()) {
                continue;
            }
            int p = t.firstMissingPiece(0, t.totalPieces() - 1);
            if (p >= 0) {
                return new Choice(t, p);
            }
        }
        return null;
    }

    @Override
    public void close() {
        exec.shutdownNow();
        try {
            exec.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static final class Choice {
        final SimTorrent torrent;
        final int piece;

        Choice(SimTorrent torrent, int piece) {
            this.torrent = torrent;
            this.piece = piece;
        }
    }
}
