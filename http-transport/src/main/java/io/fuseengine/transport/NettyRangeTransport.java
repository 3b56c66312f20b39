package io.fuseengine.transport;

import io.fuseengine.core.config.EngineConfig;
import io.fuseengine.core.errno.Errno;
import io.fuseengine.core.read.RangeTransport;
import io.fuseengine.core.read.ReadCompletion;
import io.fuseengine.core.read.StreamTarget;
import io.netty.bootstrap.Bootstrap;
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
    /** Body chunks up to 64 KiB (rqbit pushes ≤ 64 KiB pieces): fewer write brackets per read. */
    private static final HttpDecoderConfig DECODER_CONFIG = new HttpDecoderConfig().setMaxChunkSize(64 * 1024);

    private final TransportOptions options;
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

    // ---- event-loop state ----
    private ReadCompletion completion;
    private final ArrayDeque<RangeRequest> waiting = new ArrayDeque<>();
    private final ArrayDeque<StreamConnection> idle = new ArrayDeque<>();
    private final List<StreamConnection> connections = new ArrayList<>();
    private final List<RangeRequest> backingOff = new ArrayList<>();
    private RangeRequest freeList;
    private int open;
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
        this.options = options;
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
            .handler(new ChannelInitializer<SocketChannel>()
            {
                @Override
                protected void initChannel(final SocketChannel ch)
                {
                    final StreamConnection connection = new StreamConnection(
                        NettyRangeTransport.this, completion, ch, scratch);
                    ch.pipeline().addLast(new HttpClientCodec(DECODER_CONFIG, false, true), connection);
                    ch.closeFuture().addListener((ChannelFutureListener)f -> onClosed(connection));
                }
            });
        LOG.info("HTTP range transport: {} ({} transport)", options, epoll ? "epoll" : "NIO");
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
            loop.execute(() -> accept(slot, generation, target, offset, length, deadline));
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
        r.deadlineTimer = loop.schedule(r, delay, TimeUnit.NANOSECONDS);
        r.state = RangeRequest.QUEUED;
        waiting.addLast(r);
    }

    /** Event loop: gives waiting requests to idle connections, or opens connections up to the cap. */
    private void dispatch()
    {
        while (!waiting.isEmpty() && !shuttingDown)
        {
            final RangeRequest r = waiting.peekFirst();
            if (!completion.isPending(r.slot, r.generation))
            {
                waiting.pollFirst();
                dropped.increment();
                recycle(r);
                continue;
            }
            final StreamConnection c = idle.pollFirst();
            if (c != null)
            {
                waiting.pollFirst();
                r.state = RangeRequest.ACTIVE;
                c.send(r);
                continue;
            }
            if (open < options.maxConnections())
            {
                waiting.pollFirst();
                connect(r);
                continue;
            }
            break;
        }
        queuedRequests = waiting.size();
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
                r.state = RangeRequest.QUEUED;
                waiting.addFirst(r);
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
                waiting.remove(r);
                queuedRequests = waiting.size();
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
        r.state = RangeRequest.QUEUED;
        waiting.addFirst(r);
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
        r.state = RangeRequest.QUEUED;
        waiting.addLast(r);
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
