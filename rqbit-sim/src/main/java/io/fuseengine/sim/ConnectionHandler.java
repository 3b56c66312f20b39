package io.fuseengine.sim;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;

import static io.fuseengine.sim.FaultInjector.Fault;

/**
 * One HTTP/1.1 connection: answers requests one at a time (pipelined ones wait in a queue), applies basic auth and
 * faults, and hands each answer to a {@link ResponseWriter}. One instance per channel; every method runs on that
 * channel's event loop.
 */
final class ConnectionHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionHandler.class);

    private final RqbitSim sim;
    private final ApiRouter router;
    private final byte[] expectedAuth;
    private final ArrayDeque<SimRequest> queue = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    private boolean busy;
    private ResponseWriter current;

    ConnectionHandler(RqbitSim sim, ApiRouter router) {
        this.sim = sim;
        this.router = router;
        SimConfig c = sim.config();
        this.expectedAuth = c.basicAuthEnabled()
                ? ("Basic " + Base64.getEncoder().encodeToString((c.user() + ":" + c.password())
                .getBytes(StandardCharsets.UTF_8))).getBytes(StandardCharsets.UTF_8)
                : null;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        this.ctx = ctx;
        sim.statsInternal().connectionOpened();
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        sim.statsInternal().connectionClosed();
        queue.clear();
        if (current != null) {
            current.release();
            current = null;
        }
        super.channelInactive(ctx);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest msg) {
        SimRequest r = SimRequest.of(msg);
        if (busy) {
            queue.add(r);
        } else {
            handle(r);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (current != null && ctx.channel().isWritable()) {
            current.pump();
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("connection {} failed: {}", ctx.channel(), cause.toString());
        ctx.close();
    }

    private void handle(SimRequest r) {
        busy = true;
        boolean keepAlive = r.keepAlive && !r.decodeFailed;
        boolean isStream = r.isStreamPath();
        if (isStream) {
            sim.statsInternal().streamRequest();
        } else {
            sim.statsInternal().metadataRequest();
        }
        PreparedResponse resp;
        if (r.decodeFailed) {
            resp = ApiRouter.error(HttpResponseStatus.BAD_REQUEST, "internal_error", "malformed request", null);
        } else if (!authorized(r)) {
            resp = ApiRouter.error(HttpResponseStatus.UNAUTHORIZED, "unauthorized", "unauthorized", null);
            resp.headers.set(HttpHeaderNames.WWW_AUTHENTICATE, "Basic realm=\"rqbit\"");
        } else {
            try {
                resp = router.route(r);
            } catch (RuntimeException e) {
                LOG.warn("failed to answer {}", r, e);
                resp = ApiRouter.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal_error", e.toString(), null);
            }
        }
        FaultInjector.Target target = isStream ? FaultInjector.Target.STREAMS : FaultInjector.Target.METADATA;
        Fault fault = sim.faults().match(target, resp.infoHash, resp.applicableFaults());
        if (fault != null) {
            LOG.debug("fault {} on {}", fault, r);
        }
        if (fault == Fault.STALL_BEFORE_HEADERS) {
            return; // stays busy until the connection closes
        }
        resp = FaultResponses.rewrite(resp, fault, sim);
        ResponseWriter.Mode mode = FaultResponses.mode(fault);

        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, resp.status, resp.headers);
        head.headers().set(HttpHeaderNames.CONTENT_LENGTH, resp.body.length());
        head.headers().set(HttpHeaderNames.DATE, DateFormatter.format(new Date()));
        if (!keepAlive) {
            head.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        current = new ResponseWriter(ctx, head, resp.body, mode, keepAlive, r.isHead(),
                resp.kind == PreparedResponse.Kind.STREAM, sim.statsInternal(), sim.faults().slowDripBps(),
                this::responseDone);
        current.start();
    }

    private void responseDone(boolean keepAlive) {
        current = null;
        busy = false;
        if (!keepAlive) {
            ctx.close();
        } else if (!queue.isEmpty()) {
            handle(queue.poll());
        }
    }

    private boolean authorized(SimRequest r) {
        if (expectedAuth == null) {
            return true;
        }
        String got = r.headers.get(HttpHeaderNames.AUTHORIZATION);
        return got != null && MessageDigest.isEqual(expectedAuth, got.trim().getBytes(StandardCharsets.UTF_8));
    }

    /** For debugging. */
    @Override
    public String toString() {
        return "ConnectionHandler{busy=" + busy + ", queued=" + Arrays.toString(queue.toArray()) + '}';
    }
}
