package io.fuseengine.transport;

import io.fuseengine.core.config.EngineConfig;
import io.fuseengine.core.errno.Errno;
import io.fuseengine.core.read.PieceAvailability;
import io.fuseengine.core.read.RangeTransport;
import io.fuseengine.core.read.ReadCompletion;
import io.fuseengine.core.read.StreamTarget;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.util.concurrent.FastThreadLocalThread;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * The {@link RangeTransport} that turns reads into HTTP range requests to rqbit over a small pool of keep-alive
 * Netty connections, and streams each response body straight into the reader's buffer.
 * <p>
 * One event-loop thread ({@code fe-http-N}; epoll when available, else NIO) owns everything mutable: the request
 * free list, the FIFO of requests waiting for a connection, the pool of at most {@code maxConnections} open
 * connections (idle ones are closed after {@code idleConnectionTimeout}: rqbit prioritises the pieces of every
 * open stream), and a deadline timer per request. When the deadline passes the request fails with ETIMEDOUT and
 * its connection is closed, so rqbit stops working for a reader that has left.
 * <p>
 * Daemons older than v9.0.0-beta.2 answer a bounded range with 200 and the whole file. The first such answer
 * switches the transport to <em>legacy mode</em>: every request then asks {@code bytes=S-}, reads what it needs and
 * closes its connection. Legacy mode is sticky for the life of the transport (a daemon upgraded while we run is
 * only used with bounded ranges again after a restart of the engine).
 *
 * <h2>Piece awareness</h2>
 * Given a {@link PieceAvailability} ({@link #pieceAvailability}, before {@link #start}), every request is classified
 * when it arrives, by the bytes it still needs: AVAILABLE (rqbit has every piece), MISSING, UNKNOWN or PAUSED.
 * <ul>
 *   <li>Requests not known to be AVAILABLE occupy at most {@code maxConnections - 1} connections at once (when
 *   {@code maxConnections > 1}): one connection always remains for ranges rqbit has, so they are never stuck behind
 *   reads waiting on the swarm. Queued AVAILABLE requests are dispatched before queued others (each queue FIFO).</li>
 *   <li>PAUSED (the torrent is paused and lacks a piece of the range: rqbit would never deliver it) fails at once
 *   with {@link Errno#torrentPaused()} (EAGAIN) instead of waiting for the deadline, with one WARN per torrent per
 *   10 s. This is the only place that rule lives.</li>
 *   <li>When a snapshot changes, queued requests are classified again (newly AVAILABLE ones move to the front
 *   queue) and requests in flight on a torrent that is now paused and lacks their pieces are failed the same way
 *   (their connections closed).</li>
 * </ul>
 * Without a piece availability every request is treated as AVAILABLE (one FIFO, no reserved connection).
 * <p>
 * Threads: {@link #start} and {@link #close} by the owner; {@link #submit} by the read ring's consumer thread only
 * (never blocks, allocates nothing in the steady state); getters from any thread.
 */
public final class NettyRangeTransport implements RangeTransport
{
    private static final Logger LOG = LoggerFactory.getLogger(NettyRangeTransport.class);
    private static final AtomicInteger THREAD_IDS = new AtomicInteger();
    private static final int SUBMIT_QUEUE_CAPACITY = 4096;
    private static final long FIRST_BACKOFF_NS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final long MAX_BACKOFF_NS = TimeUnit.SECONDS.toNanos(1);
    private static final int MAX_ERRNO = 134;
    /**
     * Largest socket read (Netty's adaptive receive buffer grows to it while reads fill it) and largest body chunk
     * the HTTP decoder hands on (a slice of that read, no copy): 1 MiB rather than Netty's 64 KiB cut the response
     * thread's CPU by about a quarter on cold sequential reads (fewer read calls, fewer chunks to copy out) and was
     * faster in each of three interleaved rounds (perf-reports/ab/ab-recv.log).
     */
    static final int MAX_RECEIVE_BYTES = 1024 * 1024;
    private static final HttpDecoderConfig DECODER_CONFIG = new HttpDecoderConfig().setMaxChunkSize(MAX_RECEIVE_BYTES);

    private final TransportOptions options;
    private final boolean directBodyReads;
    private volatile long directBytes;
    private final EventLoopGroup group;
    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private final InetSocketAddress address;
    private final SubmitQueue submitQueue = new SubmitQueue(SUBMIT_QUEUE_CAPACITY);
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final Runnable drainTask = this::drainSubmissions;
    private final SubmitQueue.Sink sink = this::accept;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final byte[] scratch = new byte[64 * 1024];
    private final AtomicBoolean recheckScheduled = new AtomicBoolean();
    private final Runnable recheckTask = this::recheck;
    private final Runnable availabilityChanged = this::onAvailabilityChanged;
    /** Connections that requests not known to be AVAILABLE may hold at once. */
    private final int otherLimit;
    /** Set before {@link #start} (published to the event loop by it); null: piece awareness off. */
    private volatile PieceAvailability availability;

    // ---- event-loop state ----
    private ReadCompletion completion;
    /** Queued requests whose bytes rqbit has: dispatched first. */
    private final ArrayDeque<RangeRequest> waitingAvailable = new ArrayDeque<>();
    /** Queued requests not known to be available (MISSING or UNKNOWN). */
    private final ArrayDeque<RangeRequest> waiting = new ArrayDeque<>();
    private final ArrayDeque<StreamConnection> idle = new ArrayDeque<>();
    private final List<StreamConnection> connections = new ArrayList<>();
    private final List<RangeRequest> backingOff = new ArrayList<>();
    private RangeRequest freeList;
    private int open;
    /** Requests holding a connection that were dispatched from {@link #waiting}. */
    private int otherActive;
    private boolean shuttingDown;

    // ---- counters, read from any thread ----
    private final LongAdder requestsSent = new LongAdder();
    private final LongAdder bytesReceived = new LongAdder();
    private final LongAdder timeouts = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder connectionsOpened = new LongAdder();
    private final AtomicLongArray errorsByErrno = new AtomicLongArray(MAX_ERRNO);
    private volatile int openConnections;
    private volatile int queuedRequests;
    private volatile boolean legacyMode;

    /**
     * @param config the engine configuration (URL, credentials, connection limits).
     */
    public NettyRangeTransport(final EngineConfig config)
    {
        this(TransportOptions.from(config));
    }

    /**
     * @param options where rqbit is and the connection limits.
     */
    public NettyRangeTransport(final TransportOptions options)
    {
        // bodies read straight into their destinations (one copy fewer on the response thread; perf-reports section 0);
        // pooled buffers and a copy stay as the rival behind the package-private constructor
        this(options, true);
    }

    /**
     * @param directBodyReads read response bodies from the socket straight into the requests' destinations
     *                        ({@link DirectBodyRecvAllocator}); false: through pooled buffers and a copy (tests compare
     *                        both).
     */
    NettyRangeTransport(final TransportOptions options, final boolean directBodyReads)
    {
        this.options = options;
        this.directBodyReads = directBodyReads && DirectBodyRecvAllocator.supported();
        this.otherLimit = options.maxConnections() > 1 ? options.maxConnections() - 1 : options.maxConnections();
        final boolean epoll = Epoll.isAvailable();
        final ThreadFactory threads = r ->
        {
            final Thread t = new FastThreadLocalThread(r, "fe-http-" + THREAD_IDS.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        this.group = new MultiThreadIoEventLoopGroup(
            1, threads, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        this.loop = group.next();
        final InetSocketAddress resolved = new InetSocketAddress(options.host(), options.port());
        this.address = resolved.isUnresolved() ? InetSocketAddress.createUnresolved(options.host(), options.port()) : resolved;
        this.bootstrap = new Bootstrap()
            .group(loop)
            .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int)Math.min(Integer.MAX_VALUE, options.connectTimeout().toMillis()))
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.RCVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator(64, 2048, MAX_RECEIVE_BYTES))
            .handler(new ChannelInitializer<SocketChannel>()
            {
                @Override
                protected void initChannel(final SocketChannel ch)
                {
                    final StreamConnection connection = new StreamConnection(
                        NettyRangeTransport.this, completion, ch, scratch, NettyRangeTransport.this.directBodyReads);
                    if (NettyRangeTransport.this.directBodyReads)
                    {
                        ch.config().setRecvByteBufAllocator(new DirectBodyRecvAllocator(connection));
                    }
                    ch.pipeline().addLast(new HttpClientCodec(DECODER_CONFIG, false, true), connection);
                    ch.closeFuture().addListener((ChannelFutureListener)f -> onClosed(connection));
                }
            });
        LOG.info("HTTP range transport: {} ({} transport, response bodies read {})", options, epoll ? "epoll" : "NIO",
            this.directBodyReads ? "straight into their destinations" : "through pooled buffers");
    }

    /**
     * Owner thread, before {@link #start}: turns on piece awareness (see the class comment).
     *
     * @throws IllegalStateException if the transport was already started.
     */
    @Override
    public void pieceAvailability(final PieceAvailability availability)
    {
        if (completion != null)
        {
            throw new IllegalStateException("piece availability must be set before start");
        }
        final PieceAvailability old = this.availability;
        if (old != null)
        {
            old.removeListener(availabilityChanged);
        }
        this.availability = availability;
        if (availability != null)
        {
            availability.addListener(availabilityChanged);
        }
    }

    @Override
    public void start(final ReadCompletion completion)
    {
        if (this.completion != null)
        {
            throw new IllegalStateException("already started");
        }
        this.completion = completion;
        // publish the field to the event loop (a task submission is a happens-before edge)
        loop.execute(() -> { });
    }

    /**
     * Ring consumer thread: copies the request's description out of its slot, re-checks the slot is still pending
     * with that generation (the waiter may have timed out and the slot been reused while we copied), and hands the
     * copy to the event loop.
     */
    @Override
    public void submit(final int slot, final long generation)
    {
        final ReadCompletion c = completion;
        final StreamTarget target = c.target(slot);
        final long offset = c.requestOffset(slot);
        final int length = c.requestLength(slot);
        final long deadline = c.deadlineNanos(slot);
        java.lang.invoke.VarHandle.loadLoadFence();
        if (!c.isPending(slot, generation) || target == null)
        {
            return; // abandoned (and maybe reused) meanwhile: the copy may be torn, drop it
        }
        if (closed.get())
        {
            c.fail(slot, generation, Errno.EIO);
            return;
        }
        if (!submitQueue.offer(slot, generation, target, offset, length, deadline))
        {
            // the event loop is far behind: fall back to one task per request
            loop.execute(() ->
            {
                accept(slot, generation, target, offset, length, deadline);
                dispatch();
            });
            return;
        }
        if (drainScheduled.compareAndSet(false, true))
        {
            loop.execute(drainTask);
        }
    }

    private void drainSubmissions()
    {
        drainScheduled.set(false);
        if (submitQueue.drain(sink) > 0)
        {
            dispatch();
        }
    }

    /** Event loop: turns a submission into a queued request with a deadline timer. */
    private void accept(
        final int slot, final long generation, final StreamTarget target, final long offset, final int length,
        final long deadline)
    {
        if (shuttingDown)
        {
            completion.fail(slot, generation, Errno.EIO);
            return;
        }
        if (length <= 0)
        {
            completion.complete(slot, generation, 0);
            return;
        }
        final long delay = deadline - System.nanoTime();
        if (delay <= 0)
        {
            if (completion.fail(slot, generation, Errno.ETIMEDOUT))
            {
                timeouts.increment();
                countError(Errno.ETIMEDOUT);
            }
            return;
        }
        final RangeRequest r = obtain();
        r.init(slot, generation, target, offset, length, deadline, legacyMode);
        r.state = RangeRequest.QUEUED;
        final boolean admitted = classify(r);
        final PieceAvailability a = availability;
        if (a != null)
        {
            a.recordAdmission(r.verdict);
        }
        if (!admitted)
        {
            failPaused(r);
            return;
        }
        r.deadlineTimer = loop.schedule(r, delay, TimeUnit.NANOSECONDS);
        enqueue(r, false);
    }

    /**
     * Event loop: classifies the bytes {@code r} still needs. Allocation-free.
     *
     * @return false if they are PAUSED (the caller fails the request at once).
     */
    private boolean classify(final RangeRequest r)
    {
        final PieceAvailability a = availability;
        if (a == null)
        {
            r.verdict = PieceAvailability.AVAILABLE;
            return true;
        }
        r.verdict = a.classify(r.target, r.offset + r.written, r.length - r.written);
        return r.verdict != PieceAvailability.PAUSED;
    }

    /** Event loop: queues {@code r} by its verdict. */
    private void enqueue(final RangeRequest r, final boolean first)
    {
        r.state = RangeRequest.QUEUED;
        final ArrayDeque<RangeRequest> q = r.verdict == PieceAvailability.AVAILABLE ? waitingAvailable : waiting;
        if (first)
        {
            q.addFirst(r);
        }
        else
        {
            q.addLast(r);
        }
    }

    /** Event loop: {@code r} no longer holds a connection. */
    private void unlimit(final RangeRequest r)
    {
        if (r.limited)
        {
            r.limited = false;
            otherActive--;
        }
    }

    /**
     * Event loop: gives waiting requests to idle connections, or opens connections up to the cap; requests known to
     * be available first, the others only while they hold fewer than {@link #otherLimit} connections.
     */
    private void dispatch()
    {
        while (!shuttingDown)
        {
            final boolean available = !waitingAvailable.isEmpty();
            final ArrayDeque<RangeRequest> q;
            if (available)
            {
                q = waitingAvailable;
            }
            else if (!waiting.isEmpty() && otherActive < otherLimit)
            {
                q = waiting;
            }
            else
            {
                break;
            }
            final RangeRequest r = q.peekFirst();
            if (!completion.isPending(r.slot, r.generation))
            {
                q.pollFirst();
                dropped.increment();
                recycle(r);
                continue;
            }
            final StreamConnection c = idle.pollFirst();
            if (c == null && open >= options.maxConnections())
            {
                break;
            }
            q.pollFirst();
            if (!available)
            {
                r.limited = true;
                otherActive++;
            }
            if (c != null)
            {
                r.state = RangeRequest.ACTIVE;
                c.send(r);
            }
            else
            {
                connect(r);
            }
        }
        queuedRequests = waiting.size() + waitingAvailable.size();
    }

    /** Any thread (the piece refresher): a snapshot changed; re-classify on the event loop. */
    private void onAvailabilityChanged()
    {
        if (!closed.get() && completion != null && recheckScheduled.compareAndSet(false, true))
        {
            loop.execute(recheckTask);
        }
    }

    /**
     * Event loop: classifies the queued not-available requests again (newly available ones move to the front
     * queue, paused ones fail) and fails requests in flight whose torrent is now paused and lacks their pieces.
     */
    private void recheck()
    {
        recheckScheduled.set(false);
        if (shuttingDown || availability == null)
        {
            return;
        }
        for (int n = waiting.size(); n > 0; n--)
        {
            final RangeRequest r = waiting.pollFirst();
            if (!completion.isPending(r.slot, r.generation))
            {
                dropped.increment();
                recycle(r);
                continue;
            }
            if (!classify(r))
            {
                failPaused(r);
                continue;
            }
            (r.verdict == PieceAvailability.AVAILABLE ? waitingAvailable : waiting).addLast(r);
        }
        // backwards: failing closes the connection, whose close handler removes it from the list (and may add new)
        for (int i = connections.size() - 1; i >= 0; i--)
        {
            if (i >= connections.size())
            {
                continue;
            }
            final StreamConnection c = connections.get(i);
            final RangeRequest r = c.request;
            if (r == null || r.state != RangeRequest.ACTIVE || r.verdict == PieceAvailability.AVAILABLE
                || !completion.isPending(r.slot, r.generation))
            {
                continue;
            }
            if (!classify(r))
            {
                c.request = null;
                failPaused(r);
                c.close(); // rqbit keeps prioritising (and holding a thread for) a stream until it closes
            }
        }
        dispatch();
    }

    /** Event loop: fails {@code r} at once because its torrent is paused and lacks a piece of its range. */
    private void failPaused(final RangeRequest r)
    {
        final int errno = Errno.torrentPaused();
        countError(errno);
        final boolean waiterThere = completion.fail(r.slot, r.generation, errno);
        final PieceAvailability a = availability;
        if (a != null && a.recordPausedFailure(r.target))
        {
            LOG.warn("torrent {} is paused in rqbit, which never delivers the pieces it lacks (read of {} {}): reads "
                + "of its missing pieces fail at once with {} instead of waiting for the read timeout (logged once per "
                + "torrent per 10 s); resume it to read them (rqbit: POST /torrents/{}/start)", r.target.infoHash(),
                r.target.description(), where(r), Errno.name(errno), r.target.infoHash());
        }
        else if (LOG.isDebugEnabled())
        {
            LOG.debug("read of a paused torrent's missing piece failed at once: {} {} -> {}{}", r.target.description(),
                where(r), Errno.name(errno), waiterThere ? "" : " (the reader had already left)");
        }
        recycle(r);
    }

    private void connect(final RangeRequest r)
    {
        open++;
        openConnections = open;
        connectionsOpened.increment();
        final ChannelFuture f = bootstrap.connect(address);
        final StreamConnection c = f.channel().pipeline().get(StreamConnection.class);
        if (c == null)
        {
            // registration failed (event loop shutting down): the close listener is not attached
            open--;
            openConnections = open;
            failRequest(r, Errno.EIO, "cannot create a connection: " + f.cause());
            return;
        }
        connections.add(c);
        c.request = r;
        r.connection = c;
        r.state = RangeRequest.ACTIVE;
        f.addListener((ChannelFutureListener)done ->
        {
            if (!done.isSuccess())
            {
                c.cause(done.cause());
                c.close();
                return;
            }
            final RangeRequest pending = c.request;
            if (pending == null)
            {
                release(c); // its request timed out while connecting
            }
            else if (!completion.isPending(pending.slot, pending.generation))
            {
                c.request = null;
                dropped.increment();
                recycle(pending);
                release(c);
            }
            else
            {
                c.send(pending);
            }
        });
    }

    /** Event loop: a connection finished a response and may carry the next request. */
    void release(final StreamConnection c)
    {
        c.request = null;
        if (shuttingDown || !c.channel().isActive())
        {
            c.close();
            return;
        }
        c.startIdleTimer();
        idle.addFirst(c); // LIFO: the least recently used connections idle out
        dispatch();
    }

    /** Event loop: the idle timer of a connection fired. */
    void closeIdle(final StreamConnection c)
    {
        idle.remove(c);
        c.close();
    }

    /** Event loop: a connection's channel closed (any reason: ours, the daemon's, connect failure). */
    private void onClosed(final StreamConnection c)
    {
        open--;
        openConnections = open;
        connections.remove(c);
        idle.remove(c);
        c.cancelIdleTimer();
        final RangeRequest r = c.request;
        c.request = null;
        if (r != null)
        {
            r.connection = null;
            final int phase = c.phase == StreamConnection.CLOSING ? c.phaseBeforeClose : c.phase;
            final boolean neverAnswered = phase == StreamConnection.AWAIT_HEADERS && c.uses > 1;
            if (!shuttingDown && neverAnswered && r.staleConnectionRetries == 0
                && completion.isPending(r.slot, r.generation))
            {
                // a reused keep-alive connection the daemon had closed: one more try on a fresh connection
                r.staleConnectionRetries++;
                unlimit(r);
                enqueue(r, true);
            }
            else
            {
                final Throwable cause = c.cause();
                final int errno = cause == null ? Errno.EIO : Errno.fromThrowable(cause);
                final String what = phase == StreamConnection.BODY
                    ? "connection closed by rqbit after " + r.written + " of " + r.length + " body bytes"
                    : "connection closed by rqbit before it answered";
                failRequest(r, errno, cause == null ? what : describe(cause));
            }
        }
        dispatch();
    }

    /** Event loop: the deadline timer of {@code r} fired. */
    void onDeadline(final RangeRequest r)
    {
        r.deadlineTimer = null;
        switch (r.state)
        {
            case RangeRequest.QUEUED:
                if (!waitingAvailable.remove(r))
                {
                    waiting.remove(r);
                }
                queuedRequests = waiting.size() + waitingAvailable.size();
                break;
            case RangeRequest.BACKOFF:
                backingOff.remove(r);
                break;
            case RangeRequest.ACTIVE:
            {
                final StreamConnection c = r.connection;
                if (c != null)
                {
                    c.request = null;
                    c.close(); // rqbit keeps prioritising (and holding a thread for) a stream until it closes
                }
                break;
            }
            default:
                return;
        }
        timeouts.increment();
        countError(Errno.ETIMEDOUT);
        final boolean waiterThere = completion.fail(r.slot, r.generation, Errno.ETIMEDOUT);
        LOG.warn("read timed out: {} {} (after {} of {} bytes){}", r.target.description(), where(r), r.written,
            r.length, waiterThere ? "" : "; the reader had already left");
        recycle(r);
    }

    /** Event loop: the waiter of the connection's request has gone: drop it and close the connection. */
    void dropAbandoned(final StreamConnection c, final RangeRequest r)
    {
        c.request = null;
        dropped.increment();
        recycle(r);
        c.close();
    }

    /**
     * Event loop: fails the connection's current request.
     *
     * @param close also close the connection (its stream is out of step or its body unwanted).
     */
    void failActive(final StreamConnection c, final int errno, final String reason, final boolean close)
    {
        final RangeRequest r = c.request;
        c.request = null;
        if (r != null)
        {
            failRequest(r, errno, reason);
        }
        if (close)
        {
            c.close();
        }
    }

    /** Event loop: the connection's request is complete (bytes delivered). */
    void completed(final RangeRequest r)
    {
        recycle(r);
    }

    /** Event loop: a bounded range got 200 and the whole file: the daemon predates v9.0.0-beta.2. */
    void onLegacyDaemon(final StreamConnection c, final RangeRequest r)
    {
        if (!legacyMode)
        {
            legacyMode = true;
            LOG.info("rqbit answered a bounded range with the whole file (daemon older than v9.0.0-beta.2): "
                + "switching to open-ended ranges, one connection per read");
        }
        c.request = null;
        c.close();
        r.connection = null;
        r.openEnded = true;
        r.written = 0;
        unlimit(r);
        enqueue(r, true);
        dispatch();
    }

    /** Event loop: rqbit answered 500 "initializing": try again after a back-off, within the deadline. */
    void retryInitializing(final StreamConnection c, final RangeRequest r)
    {
        c.request = null;
        if (r == null)
        {
            return;
        }
        r.connection = null;
        unlimit(r);
        final long backoff = Math.min(MAX_BACKOFF_NS, FIRST_BACKOFF_NS << Math.min(r.initializingRetries, 20));
        r.initializingRetries++;
        r.state = RangeRequest.BACKOFF;
        backingOff.add(r);
        if (System.nanoTime() + backoff - r.deadlineNanos < 0)
        {
            r.retryTimer = loop.schedule(r.retryTask, backoff, TimeUnit.NANOSECONDS);
        }
        // else: the deadline timer fails it with ETIMEDOUT
        LOG.debug("rqbit is initializing {}: retry {} in {} ms", r.target.description(), r.initializingRetries,
            TimeUnit.NANOSECONDS.toMillis(backoff));
    }

    /** Event loop: a back-off is over. */
    void onRetryDue(final RangeRequest r)
    {
        r.retryTimer = null;
        if (r.state != RangeRequest.BACKOFF)
        {
            return;
        }
        backingOff.remove(r);
        if (!classify(r))
        {
            failPaused(r);
            return;
        }
        enqueue(r, false);
        dispatch();
    }

    private void failRequest(final RangeRequest r, final int errno, final String reason)
    {
        countError(errno); // before the waiter wakes, so a reader sees its failure counted
        final boolean waiterThere = completion.fail(r.slot, r.generation, errno);
        LOG.warn("read failed: {} {}: {} -> {}{}", r.target.description(), where(r), reason, Errno.name(errno),
            waiterThere ? "" : " (the reader had already left)");
        recycle(r);
    }

    private RangeRequest obtain()
    {
        final RangeRequest r = freeList;
        if (r == null)
        {
            return new RangeRequest(this);
        }
        freeList = r.nextFree;
        r.nextFree = null;
        return r;
    }

    private void recycle(final RangeRequest r)
    {
        if (r.state == RangeRequest.FREE)
        {
            throw new IllegalStateException("request recycled twice");
        }
        unlimit(r);
        r.clear();
        r.nextFree = freeList;
        freeList = r;
    }

    private static String where(final RangeRequest r)
    {
        return "(file #" + r.target.fileIndex() + ") offset " + r.offset + " length " + r.length;
    }

    private static String describe(final Throwable t)
    {
        final String m = t.getMessage();
        return t.getClass().getSimpleName() + (m == null ? "" : ": " + StreamConnection.sanitize(m));
    }

    private void countError(final int errno)
    {
        errorsByErrno.incrementAndGet(errno > 0 && errno < MAX_ERRNO ? errno : 0);
    }

    void countSent()
    {
        requestsSent.increment();
    }

    void countBytes(final int n)
    {
        bytesReceived.add(n);
    }

    /** Event loop: {@code n} body bytes were read from the socket straight into their destination. */
    void countDirectBytes(final int n)
    {
        directBytes += n;
    }

    /**
     * Body bytes read from the socket straight into their destinations (no copy out of a receive buffer). Written by
     * the event loop; a racy read elsewhere is a statistic.
     */
    public long directBytes()
    {
        return directBytes;
    }

    TransportOptions options()
    {
        return options;
    }

    Logger log()
    {
        return LOG;
    }

    /**
     * Fails every queued and in-flight request with EIO, closes every connection and stops the event loop
     * (quiet period 0, at most 2 s). Idempotent.
     */
    @Override
    public void close()
    {
        if (!closed.compareAndSet(false, true))
        {
            return;
        }
        final PieceAvailability a = availability;
        if (a != null)
        {
            a.removeListener(availabilityChanged);
        }
        try
        {
            if (completion != null && !loop.isShuttingDown())
            {
                loop.submit(this::shutdownOnLoop).await(2, TimeUnit.SECONDS);
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("closing the HTTP transport: {}", ex.toString());
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
        LOG.info("HTTP range transport closed: {} requests, {} bytes, {} timeouts", requestsSent(), bytesReceived(),
            timeouts());
    }

    private void shutdownOnLoop()
    {
        shuttingDown = true;
        submitQueue.drain(sink); // accept() fails them while shutting down
        for (RangeRequest r; (r = waitingAvailable.pollFirst()) != null; )
        {
            failRequest(r, Errno.EIO, "transport closed");
        }
        for (RangeRequest r; (r = waiting.pollFirst()) != null; )
        {
            failRequest(r, Errno.EIO, "transport closed");
        }
        for (final RangeRequest r : new ArrayList<>(backingOff))
        {
            failRequest(r, Errno.EIO, "transport closed");
        }
        backingOff.clear();
        for (final StreamConnection c : new ArrayList<>(connections))
        {
            final RangeRequest r = c.request;
            c.request = null;
            if (r != null)
            {
                failRequest(r, Errno.EIO, "transport closed");
            }
            c.close();
        }
        idle.clear();
        queuedRequests = 0;
    }

    // ---- operator counters ----

    /** @return HTTP requests written to rqbit (re-issues included). */
    public long requestsSent()
    {
        return requestsSent.sum();
    }

    /** @return body bytes delivered into readers' buffers. */
    public long bytesReceived()
    {
        return bytesReceived.sum();
    }

    /** @return requests failed with ETIMEDOUT by their deadline. */
    public long timeouts()
    {
        return timeouts.sum();
    }

    /** @return requests dropped without an answer because their reader had left. */
    public long dropped()
    {
        return dropped.sum();
    }

    /** @return connections opened so far. */
    public long connectionsOpened()
    {
        return connectionsOpened.sum();
    }

    /**
     * @param errno positive errno.
     * @return requests failed with it.
     */
    public long errors(final int errno)
    {
        return errno > 0 && errno < MAX_ERRNO ? errorsByErrno.get(errno) : 0;
    }

    /** @return requests failed, all errnos. */
    public long errorsTotal()
    {
        long sum = 0;
        for (int i = 0; i < MAX_ERRNO; i++)
        {
            sum += errorsByErrno.get(i);
        }
        return sum;
    }

    /** @return connections open or connecting. */
    public int openConnections()
    {
        return openConnections;
    }

    /** @return requests waiting for a connection. */
    public int queuedRequests()
    {
        return queuedRequests;
    }

    /** @return true once the daemon was found to ignore bounded ranges (older than v9.0.0-beta.2). */
    public boolean legacyMode()
    {
        return legacyMode;
    }

    public TransportOptions transportOptions()
    {
        return options;
    }
}
