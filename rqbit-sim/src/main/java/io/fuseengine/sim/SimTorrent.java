package io.fuseengine.sim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A torrent the simulator currently serves, with its piece bitfield. Thread-safe: tests, the downloader thread and
 * the event loops all call in. Streams waiting for a missing piece register a waiter that is run (on the thread that
 * marks the piece present) exactly once.
 */
public final class SimTorrent {
    private volatile long id;
    private final String infoHash;
    private final String name;
    private final List<SimFile> files;
    private final int pieceLength;
    private final long totalLength;
    private final int totalPieces;
    private final String outputFolder;
    private final boolean singleFile;
    private final AtomicLongArray bits;
    private final AtomicInteger present = new AtomicInteger();
    private final Object waitLock = new Object();
    /** piece → waiters; guarded by waitLock. */
    private final Map<Integer, List<Waiter>> waiters = new HashMap<>();
    private final Set<StreamCursor> cursors = ConcurrentHashMap.newKeySet();
    private volatile boolean paused;
    private volatile boolean removed;
    private volatile boolean[] included;

    SimTorrent(long id, TorrentSpec spec, boolean allPresent) {
        this.id = id;
        this.infoHash = spec.infoHash();
        this.name = spec.name();
        this.pieceLength = spec.pieceLength();
        this.outputFolder = spec.outputFolder();
        this.singleFile = spec.isSingleFile();
        List<SimFile> list = new ArrayList<>();
        long offset = 0;
        int i = 0;
        for (TorrentSpec.FileSpec f : spec.files()) {
            list.add(new SimFile(i++, f.components, f.length, offset, f.padding, spec.contentSeed(), f.source));
            offset += f.length;
        }
        this.files = List.copyOf(list);
        this.totalLength = offset;
        long pieces = (offset + pieceLength - 1) / pieceLength;
        if (pieces > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("too many pieces: " + pieces);
        }
        this.totalPieces = (int) pieces;
        this.bits = new AtomicLongArray((totalPieces + 63) / 64);
        boolean[] inc = new boolean[files.size()];
        Arrays.fill(inc, true);
        this.included = inc;
        if (allPresent) {
            markAllPiecesPresent();
        }
    }

    /** The current numeric id (changes on {@link RqbitSim#restart()}). */
    public long id() {
        return id;
    }

    public String infoHash() {
        return infoHash;
    }

    public String name() {
        return name;
    }

    /** In rqbit {@code files} order, padding included. */
    public List<SimFile> files() {
        return files;
    }

    public SimFile file(int index) {
        return files.get(index);
    }

    public int totalPieces() {
        return totalPieces;
    }

    public int pieceLength() {
        return pieceLength;
    }

    public long totalLength() {
        return totalLength;
    }

    public String outputFolder() {
        return outputFolder;
    }

    public boolean isSingleFile() {
        return singleFile;
    }

    public boolean isPaused() {
        return paused;
    }

    /** Number of pieces currently present. */
    public int presentPieces() {
        return present.get();
    }

    public boolean hasPiece(int piece) {
        checkPiece(piece);
        return (bits.get(piece >>> 6) & (1L << (piece & 63))) != 0;
    }

    boolean allPresent() {
        return present.get() == totalPieces;
    }

    /** Marks a piece downloaded and wakes the streams waiting for it. */
    public void markPiecePresent(int piece) {
        checkPiece(piece);
        if (setBit(piece)) {
            wake(piece);
        }
    }

    public void markAllPiecesPresent() {
        for (int p = 0; p < totalPieces; p++) {
            setBit(p);
        }
        wakeAll();
    }

    public void markPieceMissing(int piece) {
        checkPiece(piece);
        long mask = 1L << (piece & 63);
        int w = piece >>> 6;
        while (true) {
            long old = bits.get(w);
            if ((old & mask) == 0) {
                return;
            }
            if (bits.compareAndSet(w, old, old & ~mask)) {
                present.decrementAndGet();
                return;
            }
        }
    }

    public void markAllPiecesMissing() {
        for (int p = 0; p < totalPieces; p++) {
            markPieceMissing(p);
        }
    }

    private boolean setBit(int piece) {
        long mask = 1L << (piece & 63);
        int w = piece >>> 6;
        while (true) {
            long old = bits.get(w);
            if ((old & mask) != 0) {
                return false;
            }
            if (bits.compareAndSet(w, old, old | mask)) {
                present.incrementAndGet();
                return true;
            }
        }
    }

    private void checkPiece(int piece) {
        if (piece < 0 || piece >= totalPieces) {
            throw new IndexOutOfBoundsException("piece " + piece + " of " + totalPieces);
        }
    }

    /** Index of the first missing piece in {@code [from, toInclusive]}, or -1. */
    int firstMissingPiece(int from, int toInclusive) {
        int to = Math.min(toInclusive, totalPieces - 1);
        int p = Math.max(from, 0);
        while (p <= to) {
            int w = p >>> 6;
            long missing = ~bits.get(w) & (-1L << (p & 63));
            if (missing != 0) {
                int found = (w << 6) + Long.numberOfTrailingZeros(missing);
                return found <= to ? found : -1;
            }
            p = (w + 1) << 6;
        }
        return -1;
    }

    int pieceOf(long torrentOffset) {
        return (int) (torrentOffset / pieceLength);
    }

    long pieceStart(int piece) {
        return (long) piece * pieceLength;
    }

    long pieceSize(int piece) {
        return Math.min(pieceLength, totalLength - pieceStart(piece));
    }

    /** Bytes of file {@code index} lying in present pieces. */
    long fileProgress(int index) {
        SimFile f = files.get(index);
        if (f.length() == 0) {
            return 0;
        }
        if (allPresent()) {
            return f.length();
        }
        long start = f.offsetInTorrent();
        long end = start + f.length();
        long sum = 0;
        for (int p = pieceOf(start); p <= pieceOf(end - 1); p++) {
            if (hasPiece(p)) {
                long ps = pieceStart(p);
                sum += Math.min(end, ps + pieceLength) - Math.max(start, ps);
            }
        }
        return sum;
    }

    /** Bytes of the whole torrent lying in present pieces. */
    long progressBytes() {
        if (allPresent()) {
            return totalLength;
        }
        long sum = 0;
        for (int p = 0; p < totalPieces; p++) {
            if (hasPiece(p)) {
                sum += pieceSize(p);
            }
        }
        return sum;
    }

    /** MSB-first bitfield, one bit per piece, padded to whole bytes. */
    byte[] bitfield() {
        byte[] out = new byte[(totalPieces + 7) / 8];
        for (int p = 0; p < totalPieces; p++) {
            if (hasPiece(p)) {
                out[p >>> 3] |= (byte) (0x80 >>> (p & 7));
            }
        }
        return out;
    }

    /**
     * Registers {@code w} to run once piece {@code w.piece} is present (or the torrent is removed). Returns false,
     * without registering, when the piece is already present: the caller retries at once.
     */
    boolean await(Waiter w) {
        synchronized (waitLock) {
            if (removed || hasPiece(w.piece)) {
                return false;
            }
            waiters.computeIfAbsent(w.piece, k -> new ArrayList<>(2)).add(w);
            return true;
        }
    }

    void cancel(Waiter w) {
        synchronized (waitLock) {
            List<Waiter> list = waiters.get(w.piece);
            if (list != null && list.remove(w) && list.isEmpty()) {
                waiters.remove(w.piece);
            }
        }
    }

    /** Number of registered piece waiters (for tests of clean-up). */
    int waiterCount() {
        synchronized (waitLock) {
            return waiters.values().stream().mapToInt(List::size).sum();
        }
    }

    private void wake(int piece) {
        List<Waiter> list;
        synchronized (waitLock) {
            list = waiters.remove(piece);
        }
        if (list != null) {
            list.forEach(Waiter::fire);
        }
    }

    private void wakeAll() {
        List<Waiter> all = new ArrayList<>();
        synchronized (waitLock) {
            waiters.values().forEach(all::addAll);
            waiters.clear();
        }
        all.forEach(Waiter::fire);
    }

    void setId(long id) {
        this.id = id;
    }

    /** Sets the paused flag; returns false when it already had that value. */
    boolean setPaused(boolean value) {
        synchronized (waitLock) {
            if (paused == value) {
                return false;
            }
            paused = value;
            return true;
        }
    }

    boolean isRemoved() {
        return removed;
    }

    /** Called when forgotten or deleted: waiting streams wake up and see {@link #isRemoved()}. */
    void markRemoved() {
        synchronized (waitLock) {
            removed = true;
        }
        wakeAll();
        files.forEach(SimFile::close);
    }

    boolean isIncluded(int fileIndex) {
        return included[fileIndex];
    }

    void setIncluded(Set<Integer> onlyFiles) {
        boolean[] inc = new boolean[files.size()];
        for (int i = 0; i < inc.length; i++) {
            inc[i] = onlyFiles.contains(i);
        }
        included = inc;
    }

    Set<StreamCursor> cursors() {
        return cursors;
    }

    void closeFiles() {
        files.forEach(SimFile::close);
    }

    @Override
    public String toString() {
        return "SimTorrent{id=" + id + ", " + infoHash + ", " + name + ", " + present.get() + "/" + totalPieces + '}';
    }

    /** A one-shot wake-up for a stream waiting on a piece; {@code action} runs on the marking thread. */
    static final class Waiter {
        final int piece;
        private final Runnable action;

        Waiter(int piece, Runnable action) {
            this.piece = piece;
            this.action = action;
        }

        void fire() {
            action.run();
        }
    }

    /** Where an open stream currently reads, for the downloader's priorities. Position is torrent-absolute. */
    static final class StreamCursor {
        final long endExclusive;
        volatile long position;

        StreamCursor(long position, long endExclusive) {
            this.position = position;
            this.endExclusive = endExclusive;
        }
    }
}
