package io.fuseengine.app.ops;

import io.fuseengine.core.cache.ChunkCache;
import io.fuseengine.core.errno.Errno;
import io.fuseengine.core.read.PieceAvailability;
import io.fuseengine.core.read.PieceRefresher;
import io.fuseengine.core.read.ReadPipeline;
import io.fuseengine.core.readahead.StreamingReader;
import io.fuseengine.fuse.catalog.TorrentCatalog;
import io.fuseengine.fuse.mount.FuseSessionLoop;
import io.fuseengine.transport.NettyRangeTransport;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * The engine's Prometheus metrics. Nothing is counted twice: every meter reads a counter the engine already keeps
 * (read pipeline, transport, catalog, cache), sampled when {@code /metrics} is scraped. The one meter that needs a
 * hook in the read path is {@link #readLatency()}, fed by {@link #recordRead}: {@link MetricsEndpoint} installs it as
 * the engine's read observer ({@code MountedEngine#readObserver}), called after every FUSE read.
 * <p>
 * Names (Prometheus form), all prefixed {@code fuse_engine_}: see {@link #NAMES}.
 * <p>
 * Threads: bind from the owning thread before serving; {@link #scrape} and {@link #recordRead} from any thread.
 */
public final class EngineMetrics implements AutoCloseable
{
    /** Prometheus names this class exports once bound (cache and read-ahead ones only with a cache). */
    public static final List<String> NAMES = List.of(
        "fuse_engine_reads_total", "fuse_engine_read_errors_total", "fuse_engine_read_timeouts_total",
        "fuse_engine_reads_rejected_total", "fuse_engine_reads_in_flight", "fuse_engine_read_slots",
        "fuse_engine_ring_backlog", "fuse_engine_read_latency_seconds",
        "fuse_engine_transport_requests_total", "fuse_engine_transport_bytes_total",
        "fuse_engine_transport_timeouts_total", "fuse_engine_transport_dropped_total",
        "fuse_engine_transport_errors_total", "fuse_engine_transport_connections_opened_total",
        "fuse_engine_transport_connections_open", "fuse_engine_transport_queued_requests",
        "fuse_engine_transport_legacy_mode", "fuse_engine_torrents", "fuse_engine_catalog_refreshes_total",
        "fuse_engine_catalog_failures_total", "fuse_engine_rqbit_reachable");

    /** Names exported by {@link #bindCache} and {@link #bindReadAhead}. */
    public static final List<String> CACHE_NAMES = List.of(
        "fuse_engine_cache_hits_total", "fuse_engine_cache_misses_total", "fuse_engine_cache_lookup_hits_total",
        "fuse_engine_cache_lookup_misses_total", "fuse_engine_cache_evictions_total",
        "fuse_engine_cache_fetched_bytes_total", "fuse_engine_cache_rejected_puts_total",
        "fuse_engine_cache_resident_bytes", "fuse_engine_cache_resident_chunks", "fuse_engine_readahead_bytes_total",
        "fuse_engine_readahead_wasted_total", "fuse_engine_readahead_cancellations_total",
        "fuse_engine_readahead_fetch_failures_total", "fuse_engine_readahead_chunks_in_flight",
        "fuse_engine_reads_joined_total", "fuse_engine_reads_progressive_total", "fuse_engine_reads_direct_total",
        "fuse_engine_chunk_fetches_total", "fuse_engine_chunk_fetches_withdrawn_total",
        "fuse_engine_readahead_throttled_total");

    /** Names exported by {@link #bindPieces}. */
    public static final List<String> PIECE_NAMES = List.of(
        "fuse_engine_piece_reads_total", "fuse_engine_paused_read_failures_total", "fuse_engine_haves_fetches_total",
        "fuse_engine_haves_failures_total", "fuse_engine_piece_polls_total");

    /** Names exported by {@link #bindSession}. */
    public static final List<String> SESSION_NAMES = List.of(
        "fuse_engine_read_replies_zero_copy_total", "fuse_engine_read_replies_copied_total");

    /** Names exported by {@link #bindProcess} (the trims counter only with a trimmer). */
    public static final List<String> PROCESS_NAMES = List.of(
        "fuse_engine_process_resident_memory_bytes", "fuse_engine_native_heap_trims_total", "jvm_memory_used_bytes",
        "jvm_buffer_memory_used_bytes");

    /** errnos the transport's error counter is broken down by (the ones it can produce). */
    static final int[] TRANSPORT_ERRNOS = {
        Errno.EIO, Errno.ETIMEDOUT, Errno.ECONNREFUSED, Errno.EACCES, Errno.ENOENT, Errno.EINVAL, Errno.ECANCELED,
        Errno.EAGAIN, Errno.ENOMEM, Errno.EBUSY};

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    /** Strong references to everything sampled (Micrometer holds function meters' objects weakly). */
    private final List<Object> bound = new ArrayList<>();
    private final Timer readLatency;

    public EngineMetrics()
    {
        readLatency = Timer.builder("fuse.engine.read.latency")
            .description("Latency of FUSE reads, from the kernel's request to the reply")
            // buckets only: client-side percentiles (an HdrHistogram per time window) cost every read more work, and
            // their window rotation and resizing sent the JIT's compiled read path back to the interpreter mid-run
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofNanos(50_000))
            .maximumExpectedValue(Duration.ofMinutes(2))
            .register(registry);
    }

    /** Reads, errors, timeouts and rejections of the read pipeline; reads in flight; ring backlog. */
    public EngineMetrics bindPipeline(final ReadPipeline pipeline)
    {
        bound.add(pipeline);
        counter("fuse.engine.reads", "Reads submitted to the read pipeline", pipeline, ReadPipeline::reads);
        counter("fuse.engine.read.errors", "Reads that failed with an errno", pipeline, ReadPipeline::errors);
        counter("fuse.engine.read.timeouts", "Reads that missed their deadline (ETIMEDOUT)", pipeline,
            ReadPipeline::timeouts);
        counter("fuse.engine.reads.rejected", "Reads refused because every read slot was busy", pipeline,
            ReadPipeline::rejected);
        gauge("fuse.engine.reads.in.flight", "Read slots in use", pipeline, p -> p.slots().inUse());
        gauge("fuse.engine.read.slots", "Read slots in all", pipeline, p -> p.slots().slotCount());
        gauge("fuse.engine.ring.backlog", "Reads published to the ring and not yet taken by the transport", pipeline,
            p -> p.ring().backlog());
        return this;
    }

    /** Requests, bytes, timeouts, errors by errno, connections and queue of the HTTP transport. */
    public EngineMetrics bindTransport(final NettyRangeTransport transport)
    {
        bound.add(transport);
        counter("fuse.engine.transport.requests", "HTTP range requests sent to rqbit (re-issues included)", transport,
            NettyRangeTransport::requestsSent);
        counter("fuse.engine.transport.bytes", "Body bytes received from rqbit into readers' buffers", transport,
            NettyRangeTransport::bytesReceived);
        counter("fuse.engine.transport.timeouts", "Range requests failed by their deadline", transport,
            NettyRangeTransport::timeouts);
        counter("fuse.engine.transport.dropped", "Range requests dropped because their reader had left", transport,
            NettyRangeTransport::dropped);
        counter("fuse.engine.transport.connections.opened", "Connections to rqbit opened so far", transport,
            NettyRangeTransport::connectionsOpened);
        for (final int errno : TRANSPORT_ERRNOS)
        {
            FunctionCounter.builder("fuse.engine.transport.errors", transport, t -> t.errors(errno))
                .description("Range requests failed, by errno")
                .tag("errno", Errno.name(errno))
                .register(registry);
        }
        gauge("fuse.engine.transport.connections.open", "Connections to rqbit open or connecting", transport,
            NettyRangeTransport::openConnections);
        gauge("fuse.engine.transport.queued.requests", "Range requests waiting for a connection", transport,
            NettyRangeTransport::queuedRequests);
        gauge("fuse.engine.transport.legacy.mode", "1 once rqbit was found to ignore bounded ranges (older than v9)",
            transport, t -> t.legacyMode() ? 1 : 0);
        return this;
    }

    /** How the FUSE session's own read replies were written: straight from a chunk or fetch, or from a copy. */
    public EngineMetrics bindSession(final FuseSessionLoop session)
    {
        bound.add(session);
        counter("fuse.engine.read.replies.zero.copy",
            "Reads replied to the kernel straight from a resident chunk or a running fetch (no copy before the kernel's "
                + "own)",
            session, FuseSessionLoop::readRepliesTaken);
        counter("fuse.engine.read.replies.copied",
            "Reads replied from bytes first copied into a reply buffer (across chunks, direct reads)",
            session, FuseSessionLoop::readRepliesCopied);
        return this;
    }

    /** Torrents served, refreshes, failures, and whether rqbit answered the last refresh. */
    public EngineMetrics bindCatalog(final TorrentCatalog catalog)
    {
        bound.add(catalog);
        gauge("fuse.engine.torrents", "Torrents in the mounted tree", catalog, c -> c.tree().torrentCount());
        counter("fuse.engine.catalog.refreshes", "Torrent list refreshes", catalog, TorrentCatalog::refreshCount);
        counter("fuse.engine.catalog.failures", "Torrent list refreshes that failed", catalog,
            TorrentCatalog::failureCount);
        gauge("fuse.engine.rqbit.reachable", "1 if rqbit answered the last refresh", catalog,
            c -> c.backendReachable() ? 1 : 0);
        return this;
    }

    /**
     * Piece awareness: range requests by what was known of their pieces when they arrived (available, missing,
     * unknown), reads failed at once because their torrent is paused, and the refresher's bitfield polls.
     */
    public EngineMetrics bindPieces(final PieceAvailability pieces, final PieceRefresher refresher)
    {
        bound.add(pieces);
        FunctionCounter.builder("fuse.engine.piece.reads", pieces, PieceAvailability::readsAvailable)
            .description("Range requests by what rqbit was known to have of their pieces on arrival")
            .tag("verdict", "available").register(registry);
        FunctionCounter.builder("fuse.engine.piece.reads", pieces, PieceAvailability::readsMissing)
            .description("Range requests by what rqbit was known to have of their pieces on arrival")
            .tag("verdict", "missing").register(registry);
        FunctionCounter.builder("fuse.engine.piece.reads", pieces, PieceAvailability::readsUnknown)
            .description("Range requests by what rqbit was known to have of their pieces on arrival")
            .tag("verdict", "unknown").register(registry);
        counter("fuse.engine.paused.read.failures",
            "Reads failed at once (EAGAIN) because their torrent is paused and lacks a piece of them", pieces,
            PieceAvailability::pausedFailures);
        if (refresher != null)
        {
            bound.add(refresher);
            counter("fuse.engine.haves.fetches", "Piece bitfield requests to rqbit (/haves)", refresher,
                PieceRefresher::havesFetches);
            counter("fuse.engine.haves.failures", "Piece bitfield requests that failed or were rejected", refresher,
                PieceRefresher::havesFailures);
            counter("fuse.engine.piece.polls", "Piece availability polls of torrents with waiting reads", refresher,
                PieceRefresher::polls);
        }
        return this;
    }

    /** Hits, misses, evictions and residency of the chunk cache. */
    public EngineMetrics bindCache(final ChunkCache cache)
    {
        bound.add(cache);
        counter("fuse.engine.cache.lookup.hits", "Chunk lookups found resident", cache, ChunkCache::hits);
        counter("fuse.engine.cache.lookup.misses", "Chunk lookups not resident", cache, ChunkCache::misses);
        counter("fuse.engine.cache.evictions", "Chunks evicted", cache, ChunkCache::evictions);
        counter("fuse.engine.cache.fetched.bytes", "Bytes fetched from rqbit into the cache (whole chunks)", cache,
            ChunkCache::bytesInserted);
        counter("fuse.engine.cache.rejected.puts", "Chunks the cache refused to store", cache,
            ChunkCache::rejectedPuts);
        gauge("fuse.engine.cache.reservations.abandoned", "Cache entries kept out of use for good because a fetch "
            + "into them did not finish writing in time (a transport bug; should stay 0)", cache,
            ChunkCache::abandonedReservations);
        gauge("fuse.engine.cache.resident.bytes", "Bytes of resident chunks", cache, ChunkCache::residentBytes);
        gauge("fuse.engine.cache.resident.chunks", "Resident chunks", cache, ChunkCache::residentChunks);
        gauge("fuse.engine.cache.reserved.bytes", "Bytes of cache entries reserved for fetches writing into them "
            + "(within the budget, not served yet)", cache, ChunkCache::reservedBytes);
        return this;
    }

    /** Cache hits and misses as readers see them, and read-ahead, of the streaming reader. */
    public EngineMetrics bindReadAhead(final StreamingReader reader)
    {
        bound.add(reader);
        counter("fuse.engine.cache.hits", "Reads served entirely from the chunk cache on arrival", reader,
            StreamingReader::hits);
        counter("fuse.engine.cache.misses", "Reads not entirely resident on arrival", reader, StreamingReader::misses);
        counter("fuse.engine.readahead.cancellations", "Read-ahead fetches cancelled by a seek or a close", reader,
            StreamingReader::cancellations);
        counter("fuse.engine.readahead.bytes", "Bytes fetched ahead of readers", reader,
            StreamingReader::readAheadBytes);
        counter("fuse.engine.readahead.wasted", "Read-ahead chunks evicted or dropped unread", reader,
            StreamingReader::readAheadWasted);
        counter("fuse.engine.readahead.fetch.failures", "Chunk fetches that failed", reader,
            StreamingReader::failedFetches);
        gauge("fuse.engine.readahead.chunks.in.flight", "Chunks being fetched", reader,
            StreamingReader::inFlightChunks);
        counter("fuse.engine.reads.joined", "Misses that joined a chunk fetch already queued or in flight", reader,
            StreamingReader::inFlightWaits);
        counter("fuse.engine.reads.progressive", "Misses served from a chunk fetch still in flight, as soon as their part arrived",
            reader, StreamingReader::progressiveReads);
        counter("fuse.engine.reads.direct", "Misses served by a range request of just their bytes", reader,
            StreamingReader::directReads);
        counter("fuse.engine.chunk.fetches", "Whole chunks fetched for readers' misses (not read-ahead)", reader,
            StreamingReader::chunkFetches);
        counter("fuse.engine.chunk.fetches.withdrawn", "Queued chunk fetches withdrawn because no fetcher started "
            + "them in time and their reader read the whole chunk directly", reader, StreamingReader::withdrawnForDirectRead);
        counter("fuse.engine.readahead.staged", "Chunk fetches copied through a staging buffer because no cache entry "
            + "could be reserved (0 while the budget has evictable room)", reader, StreamingReader::stagedFetches);
        counter("fuse.engine.readahead.throttled", "Times read-ahead stopped at a chunk rqbit does not have yet", reader,
            StreamingReader::throttledReadAhead);
        return this;
    }

    /**
     * The process's memory: resident bytes (VmRSS, the figure the memory targets are about), the JVM's heap,
     * non-heap and buffer pools (direct buffers: Netty's and the pooled read buffers), and the C-heap trims.
     *
     * @param trimmer the running trimmer, or null when trimming is off.
     */
    public EngineMetrics bindProcess(final NativeHeapTrimmer trimmer)
    {
        gauge("fuse.engine.process.resident.memory.bytes", "Resident memory of the engine's process (VmRSS; NaN "
            + "without /proc)", this, m ->
            {
                final long rss = ProcessMemory.residentBytes();
                return rss < 0 ? Double.NaN : rss;
            });
        new JvmMemoryMetrics().bindTo(registry);
        if (trimmer != null)
        {
            bound.add(trimmer);
            counter("fuse.engine.native.heap.trims", "Times free C-heap memory was handed back to the OS", trimmer,
                NativeHeapTrimmer::trims);
        }
        return this;
    }

    /** The read-latency timer (seconds, a histogram: quantiles come from its buckets). */
    public Timer readLatency()
    {
        return readLatency;
    }

    /**
     * Records one FUSE read; meant to be called once per read by the read path.
     *
     * @param nanos time from the kernel's request to the reply.
     */
    public void recordRead(final long nanos)
    {
        readLatency.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** @return every metric in the Prometheus text format (version 0.0.4). */
    public String scrape()
    {
        return registry.scrape();
    }

    public PrometheusMeterRegistry registry()
    {
        return registry;
    }

    @Override
    public void close()
    {
        registry.close();
        bound.clear();
    }

    private <T> void counter(final String name, final String help, final T obj, final ToDoubleFunction<T> f)
    {
        FunctionCounter.builder(name, obj, f).description(help).register(registry);
    }

    private <T> void gauge(final String name, final String help, final T obj, final ToDoubleFunction<T> f)
    {
        Gauge.builder(name, obj, f).description(help).strongReference(true).register(registry);
    }

    @Override
    public String toString()
    {
        return String.format(Locale.ROOT, "EngineMetrics[%d meters]", registry.getMeters().size());
    }
}
