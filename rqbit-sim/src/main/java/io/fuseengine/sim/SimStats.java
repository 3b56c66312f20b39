package io.fuseengine.sim;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/** Thread-safe live counters. Updated by the event loops, read by anyone. */
public final class SimStats {
    private static final Logger LOG = LoggerFactory.getLogger(SimStats.class);

    private final LongAdder streamBytes = new LongAdder();
    private final LongAdder streamRequests = new LongAdder();
    private final LongAdder metadataRequests = new LongAdder();
    private final AtomicInteger openStreams = new AtomicInteger();
    private final AtomicInteger peakOpenStreams = new AtomicInteger();
    private final AtomicInteger openConnections = new AtomicInteger();
    private final Map<String, LongAdder> perFile = new ConcurrentHashMap<>();

    SimStats() {
    }

    /** Stream body bytes handed to the socket layer. */
    public long streamBytesServed() {
        return streamBytes.sum();
    }

    public long streamRequests() {
        return streamRequests.sum();
    }

    /** Every request that is not a stream request (JSON, haves, metadata, POSTs, unknown paths). */
    public long metadataRequests() {
        return metadataRequests.sum();
    }

    /** Stream responses in progress: headers sent, body not finished, connection open. */
    public int openStreams() {
        return openStreams.get();
    }

    public int peakOpenStreams() {
        return peakOpenStreams.get();
    }

    /** Resets the peak to the current number of open streams. */
    public void resetPeak() {
        peakOpenStreams.set(openStreams.get());
    }

    public int openConnections() {
        return openConnections.get();
    }

    /** Number of stream requests for file {@code fileIndex} of torrent {@code infoHash}. */
    public long rangeRequests(String infoHash, int fileIndex) {
        LongAdder a = perFile.get(key(infoHash, fileIndex));
        return a == null ? 0 : a.sum();
    }

    void addStreamBytes(long n) {
        streamBytes.add(n);
    }

    void streamRequest() {
        streamRequests.increment();
    }

    void fileRequested(String infoHash, int fileIndex) {
        perFile.computeIfAbsent(key(infoHash, fileIndex), k -> new LongAdder()).increment();
    }

    void metadataRequest() {
        metadataRequests.increment();
    }

    void streamOpened() {
        int now = openStreams.incrementAndGet();
        peakOpenStreams.accumulateAndGet(now, Math::max);
        if (now == SimConstants.RQBIT_MAX_BLOCKING_THREADS + 1) { // log each crossing, not every stream above it
            LOG.warn("{} streams open at once: a real rqbit (--max-blocking-threads {}) could stall its downloads",
                    now, SimConstants.RQBIT_MAX_BLOCKING_THREADS);
        }
    }

    void streamClosed() {
        openStreams.decrementAndGet();
    }

    void connectionOpened() {
        openConnections.incrementAndGet();
    }

    void connectionClosed() {
        openConnections.decrementAndGet();
    }

    private static String key(String infoHash, int fileIndex) {
        return infoHash.toLowerCase(java.util.Locale.ROOT) + '/' + fileIndex;
    }

    @Override
    public String toString() {
        return "SimStats{streamBytes=" + streamBytesServed() + ", streamRequests=" + streamRequests()
                + ", metadataRequests=" + metadataRequests() + ", openStreams=" + openStreams() + ", peak="
                + peakOpenStreams() + ", connections=" + openConnections() + '}';
    }
}
