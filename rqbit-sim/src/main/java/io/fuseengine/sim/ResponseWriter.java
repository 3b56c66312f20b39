package io.fuseengine.sim;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Writes one response: the head, then the body in chunks of at most 64 KiB, only while the channel is writable
 * (resumed by {@link #pump()} on writability changes), waiting for missing pieces and applying body faults.
 * Every method runs on the connection's event loop; piece wake-ups hop onto it.
 */
final class ResponseWriter {
    private static final Logger LOG = LoggerFactory.getLogger(ResponseWriter.class);

    /** How the body is delivered. */
    enum Mode { NORMAL, STALL, DRIP, RESET, TRUNCATE }

    /** Told when the response completed normally. */
    interface Completion {
        void responseDone(boolean keepAlive);
    }

    private final ChannelHandlerContext ctx;
    private final HttpResponse head;
    private final BodySource body;
    private final Mode mode;
    private final boolean keepAlive;
    private final boolean headOnly;
    private final boolean stream;
    private final SimStats stats;
    private final int dripBytesPerTick;
    private final long dripIntervalMs;
    private final Completion completion;
    private final long limit;
    private long pos;
    private boolean pumping;
    private boolean repump;
    private boolean ending;
    private boolean released;
    private Object waitHandle;
    private ScheduledFuture<?> dripTimer;
    private ChannelFuture lastWrite;

    ResponseWriter(ChannelHandlerContext ctx, HttpResponse head, BodySource body, Mode mode, boolean keepAlive,
                   boolean headOnly, boolean stream, SimStats stats, int dripBps, Completion completion) {
        this.ctx = ctx;
        this.head = head;
        this.body = body;
        this.mode = mode;
        this.keepAlive = keepAlive;
        this.headOnly = headOnly;
        this.stream = stream;
        this.stats = stats;
        this.completion = completion;
        long len = headOnly ? 0 : body.length();
        this.limit = (mode == Mode.RESET || mode == Mode.TRUNCATE) ? len / 2 : len;
        long perSecond = Math.max(1, dripBps);
        if (perSecond * SimConstants.DRIP_INTERVAL_MS >= 1000) {
            this.dripBytesPerTick = (int) Math.min(SimConstants.MAX_CHUNK, perSecond * SimConstants.DRIP_INTERVAL_MS / 1000);
            this.dripIntervalMs = SimConstants.DRIP_INTERVAL_MS;
        } else {
            this.dripBytesPerTick = 1;
            this.dripIntervalMs = Math.max(1, 1000 / perSecond);
        }
    }

    void start() {
        if (stream) {
            stats.streamOpened();
        }
        body.open();
        lastWrite = ctx.write(head);
        if (mode == Mode.STALL && !headOnly) {
            ctx.flush();
            return;
        }
        pump();
    }

    /** Writes as much as the channel accepts. Re-entrant calls are folded into the running one. */
    void pump() {
        if (released || ending) {
            return;
        }
        if (pumping) {
            repump = true;
            return;
        }
        pumping = true;
        try {
            do {
                repump = false;
                pumpOnce();
            } while (repump && !released && !ending);
        } finally {
            pumping = false;
        }
    }

    private void pumpOnce() {
        Channel ch = ctx.channel();
        if (!ch.isActive()) {
            release();
            return;
        }
        if (waitHandle != null || dripTimer != null || mode == Mode.STALL) {
            return;
        }
        while (true) {
            if (pos >= limit) {
                end();
                return;
            }
            if (!ch.isWritable()) {
                ctx.flush();
                if (!ch.isWritable()) {
                    return; // channelWritabilityChanged will pump again
                }
            }
            if (body.broken()) {
                LOG.debug("torrent removed while streaming; closing {}", ch);
                ctx.flush();
                ctx.close();
                return;
            }
            int want = (int) Math.min(SimConstants.MAX_CHUNK, limit - pos);
            if (mode == Mode.DRIP) {
                want = Math.min(want, dripBytesPerTick);
            }
            int n = body.readable(pos, want);
            if (n <= 0) {
                ctx.flush();
                waitForData();
                return;
            }
            ByteBuf buf = ctx.alloc().directBuffer(n);
            try {
                body.writeTo(pos, buf, n);
            } catch (RuntimeException e) {
                buf.release();
                LOG.warn("cannot produce body bytes at {}; closing {}", pos, ch, e);
                ctx.close();
                return;
            }
            pos += n;
            body.advanced(pos);
            if (stream) {
                stats.addStreamBytes(n);
            }
            lastWrite = ctx.write(new DefaultHttpContent(buf));
            if (mode == Mode.DRIP) {
                ctx.flush();
                dripTimer = ctx.executor().schedule(this::onDripTimer, dripIntervalMs, TimeUnit.MILLISECONDS);
                return;
            }
        }
    }

    private void onDripTimer() {
        dripTimer = null;
        pump();
    }

    private void waitForData() {
        Object h = body.awaitReadable(pos, this::wakeFromAnyThread);
        if (h == null) {
            repump = true;
        } else {
            waitHandle = h;
        }
    }

    /** Runs on the thread that made the data available. */
    private void wakeFromAnyThread() {
        try {
            ctx.executor().execute(this::onDataReadable);
        } catch (RejectedExecutionException e) {
            LOG.debug("event loop gone; dropping wake-up");
        }
    }

    private void onDataReadable() {
        waitHandle = null;
        pump();
    }

    private void end() {
        ending = true;
        switch (mode) {
            case TRUNCATE:
                ctx.flush();
                lastWrite.addListener(f -> ctx.close());
                break;
            case RESET:
                ctx.flush();
                lastWrite.addListener(f -> {
                    Channel ch = ctx.channel();
                    if (ch.isActive()) {
                        ch.config().setOption(ChannelOption.SO_LINGER, 0);
                    }
                    ctx.close();
                });
                break;
            default:
                ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(f -> {
                    if (f.isSuccess() && !released) {
                        release();
                        completion.responseDone(keepAlive);
                    }
                });
        }
    }

    /** The connection closed or the response finished: drop waits and timers, update counters. Idempotent. */
    void release() {
        if (released) {
            return;
        }
        released = true;
        if (waitHandle != null) {
            body.cancelAwait(waitHandle);
            waitHandle = null;
        }
        if (dripTimer != null) {
            dripTimer.cancel(false);
            dripTimer = null;
        }
        body.close();
        if (stream) {
            stats.streamClosed();
        }
    }
}
