package io.fuseengine.transport;

import io.fuseengine.core.errno.Errno;
import io.fuseengine.core.read.ReadCompletion;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import org.agrona.UnsafeApi;

import java.nio.charset.StandardCharsets;

/**
 * One keep-alive HTTP/1.1 connection to rqbit, carrying one range request at a time. Streams the response body
 * straight into the request's destination, chunk by chunk, inside {@link ReadCompletion#beginWrite} brackets, and
 * never writes past the request's length or after it completed.
 * <p>
 * Threads: event loop only (it is the channel's last inbound handler and the pool's unit of reuse).
 */
final class StreamConnection extends SimpleChannelInboundHandler<HttpObject>
{
    /** Connecting; the request is sent when the connect completes. */
    static final int CONNECTING = 0;
    /** In the pool, no request. */
    static final int IDLE = 1;
    /** Request sent, waiting for the response headers. */
    static final int AWAIT_HEADERS = 2;
    /** Response body goes into the request's destination. */
    static final int BODY = 3;
    /** Request completed; waiting for the end of the response to reuse the connection. */
    static final int DONE = 4;
    /** Collecting a small error body (a 500 that may say "initializing"). */
    static final int ERROR_BODY = 5;
    /** Request failed already; the rest of the response is ignored, then the connection is reused. */
    static final int DISCARD = 6;
    /** Being closed; everything it still receives is dropped. */
    static final int CLOSING = 7;

    private static final int ERROR_BODY_LIMIT = 512;
    private static final int SCRATCH_SIZE = 64 * 1024;

    private final NettyRangeTransport transport;
    private final ReadCompletion completion;
    private final Channel channel;
    private final byte[] errorBody = new byte[ERROR_BODY_LIMIT];
    private final Runnable idleClose = this::onIdleTimeout;
    private final ChannelFutureListener writeListener = f ->
    {
        if (!f.isSuccess())
        {
            onFailure(f.cause());
        }
    };

    /** Shared by the transport's connections (all on one event loop): bounce buffer for non-addressable chunks. */
    private static final long BYTE_ARRAY_BASE = UnsafeApi.arrayBaseOffset(byte[].class);

    private final byte[] scratch;
    /** Body bytes may be read from the socket straight into the destination ({@link DirectBodyRecvAllocator}). */
    private final boolean directReads;

    RangeRequest request;
    int phase = CONNECTING;
    /** Requests served so far (a reused connection may have been closed by the server meanwhile). */
    int uses;
    /** The phase the connection was in when it started closing. */
    int phaseBeforeClose = CONNECTING;
    private boolean keepAlive;
    /** The body may be read straight into the destination (not chunked: the socket's bytes are the body's). */
    private boolean directAllowed;
    /** A direct read's write bracket is open (between {@link #openDirectWrite} and {@link #closeDirectWrite}). */
    private boolean directOpen;
    private int directSlot;
    private long directGeneration;
    private int directCapacity;
    private int status;
    private int errorBodyLength;
    private Throwable cause;
    private ScheduledFuture<?> idleTimer;

    StreamConnection(
        final NettyRangeTransport transport, final ReadCompletion completion, final Channel channel, final byte[] scratch,
        final boolean directReads)
    {
        super(HttpObject.class, true);
        this.transport = transport;
        this.completion = completion;
        this.channel = channel;
        this.scratch = scratch;
        this.directReads = directReads;
    }

    /**
     * {@link DirectBodyRecvAllocator}, before a socket read: if the connection is streaming a body with at least
     * {@code minBytes} still to come, opens a write bracket on the request's slot and answers where the read may put
     * up to {@link #directWriteCapacity()} bytes (never past the request's end). The bytes count only once the
     * decoder hands them on as content ({@link #deliver} finds them in place).
     *
     * @return the destination address, or 0: read into an ordinary buffer.
     */
    long openDirectWrite(final int minBytes, final int maxBytes)
    {
        final RangeRequest r = request;
        if (!directAllowed || phase != BODY || r == null || directOpen)
        {
            return 0;
        }
        final int remaining = r.length - r.written;
        if (remaining < minBytes || !completion.beginWrite(r.slot, r.generation))
        {
            return 0;
        }
        directOpen = true;
        directSlot = r.slot;
        directGeneration = r.generation;
        directCapacity = Math.min(remaining, maxBytes);
        return completion.destAddress(r.slot) + r.written;
    }

    /** Bytes the read opened by {@link #openDirectWrite} may write. */
    int directWriteCapacity()
    {
        return directCapacity;
    }

    /**
     * {@link DirectBodyRecvAllocator}, after the read (or when it threw): closes the write bracket, publishing nothing
     * new (the delivered count moves only in {@link #deliver}).
     */
    void closeDirectWrite()
    {
        if (directOpen)
        {
            directOpen = false;
            final RangeRequest r = request;
            final int written = r != null && r.slot == directSlot && r.generation == directGeneration ? r.written : 0;
            completion.endWrite(directSlot, directGeneration, written);
        }
    }

    Channel channel()
    {
        return channel;
    }

    /** The exception that broke the connection, or null. */
    Throwable cause()
    {
        return cause;
    }

    void cause(final Throwable cause)
    {
        if (this.cause == null)
        {
            this.cause = cause;
        }
    }

    /**
     * Sends {@code r} on this (connected, idle) connection.
     */
    void send(final RangeRequest r)
    {
        request = r;
        r.connection = this;
        phase = AWAIT_HEADERS;
        uses++;
        cancelIdleTimer();
        final TransportOptions options = transport.options();
        final String prefix = options.pathPrefix();
        final String uri = prefix.isEmpty() ? r.target.streamPath() : prefix + r.target.streamPath();
        final FullHttpRequest http = new DefaultFullHttpRequest(
            HttpVersion.HTTP_1_1, HttpMethod.GET, uri, Unpooled.EMPTY_BUFFER);
        final HttpHeaders h = http.headers();
        h.set(HttpHeaderNames.HOST, options.hostHeader());
        h.set(HttpHeaderNames.RANGE, r.openEnded ? "bytes=" + r.offset + "-" : "bytes=" + r.offset + "-" + r.lastByte());
        h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        if (options.authorization() != null)
        {
            h.set(HttpHeaderNames.AUTHORIZATION, options.authorization());
        }
        transport.countSent();
        if (transport.log().isTraceEnabled())
        {
            transport.log().trace("{} GET {} Range: {} (use {})", channel, uri, h.get(HttpHeaderNames.RANGE), uses);
        }
        channel.writeAndFlush(http).addListener(writeListener);
    }

    /** Closes the connection; whatever it still receives is dropped. The close is reported to the transport. */
    void close()
    {
        if (phase != CLOSING)
        {
            phaseBeforeClose = phase;
        }
        phase = CLOSING;
        cancelIdleTimer();
        channel.close();
    }

    void startIdleTimer()
    {
        phase = IDLE;
        cancelIdleTimer();
        idleTimer = channel.eventLoop().schedule(
            idleClose, transport.options().idleConnectionTimeout().toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    void cancelIdleTimer()
    {
        if (idleTimer != null)
        {
            idleTimer.cancel(false);
            idleTimer = null;
        }
    }

    private void onIdleTimeout()
    {
        idleTimer = null;
        if (phase == IDLE)
        {
            transport.closeIdle(this);
        }
    }

    @Override
    protected void channelRead0(final ChannelHandlerContext ctx, final HttpObject msg)
    {
        if (phase == CLOSING)
        {
            return;
        }
        if (msg.decoderResult().isFailure())
        {
            onFailure(msg.decoderResult().cause());
            return;
        }
        if (msg instanceof HttpResponse)
        {
            onHeaders((HttpResponse)msg);
        }
        if (msg instanceof HttpContent && phase != CLOSING)
        {
            onContent((HttpContent)msg);
        }
    }

    private void onHeaders(final HttpResponse response)
    {
        final RangeRequest r = request;
        if (phase != AWAIT_HEADERS || r == null)
        {
            transport.log().warn("unexpected response from rqbit on an idle connection (HTTP {}): closing it",
                response.status().code());
            close();
            return;
        }
        status = response.status().code();
        keepAlive = HttpUtil.isKeepAlive(response);
        directAllowed = directReads && !HttpUtil.isTransferEncodingChunked(response);
        if (transport.log().isTraceEnabled())
        {
            transport.log().trace("{} HTTP {} Content-Range: {} keep-alive {}", channel, status,
                response.headers().get(HttpHeaderNames.CONTENT_RANGE), keepAlive);
        }
        if (!completion.isPending(r.slot, r.generation))
        {
            transport.dropAbandoned(this, r);
            return;
        }
        switch (status)
        {
            case 206:
                onPartialContent(r, response.headers());
                break;
            case 200:
                if (!r.openEnded)
                {
                    transport.onLegacyDaemon(this, r);
                }
                else if (r.offset == 0)
                {
                    phase = BODY; // whole file from byte 0: that is where this request starts
                }
                else
                {
                    transport.failActive(this, Errno.EIO, "HTTP 200 (whole file) to an open-ended range", true);
                }
                break;
            case 500:
                errorBodyLength = 0;
                phase = ERROR_BODY;
                break;
            default:
                transport.failActive(this, Errno.fromHttpStatus(status), "HTTP " + status, false);
                if (request == null && phase != CLOSING)
                {
                    phase = DISCARD;
                }
                break;
        }
    }

    private void onPartialContent(final RangeRequest r, final HttpHeaders headers)
    {
        final String contentRange = headers.get(HttpHeaderNames.CONTENT_RANGE);
        final long start = ContentRange.start(contentRange);
        final long end = ContentRange.end(contentRange);
        if (start != r.offset || end < 0
            || (r.openEnded ? end < r.lastByte() : end != r.lastByte()))
        {
            transport.failActive(this, Errno.EIO, "wrong Content-Range '" + sanitize(contentRange) + "' for bytes "
                + r.offset + "-" + (r.openEnded ? "" : Long.toString(r.lastByte())), true);
            return;
        }
        if (!r.openEnded)
        {
            final String contentLength = headers.get(HttpHeaderNames.CONTENT_LENGTH);
            if (contentLength != null && !contentLength.trim().equals(Integer.toString(r.length)))
            {
                transport.failActive(this, Errno.EIO, "Content-Length " + sanitize(contentLength)
                    + " does not match the " + r.length + " bytes requested", true);
                return;
            }
        }
        phase = BODY;
    }

    private void onContent(final HttpContent content)
    {
        final ByteBuf buf = content.content();
        switch (phase)
        {
            case BODY:
                deliver(buf);
                break;
            case ERROR_BODY:
            {
                final int n = Math.min(buf.readableBytes(), ERROR_BODY_LIMIT - errorBodyLength);
                buf.getBytes(buf.readerIndex(), errorBody, errorBodyLength, n);
                errorBodyLength += n;
                break;
            }
            case DONE:
                if (buf.isReadable())
                {
                    // More body than the 206 announced after the request completed: the stream is out of step.
                    transport.log().warn("rqbit sent more body than the Content-Range announced: closing the connection");
                    close();
                }
                break;
            default:
                break;
        }
        if (content instanceof LastHttpContent && phase != CLOSING)
        {
            onLast();
        }
    }

    private void deliver(final ByteBuf buf)
    {
        final int n = buf.readableBytes();
        final RangeRequest r = request;
        if (n == 0 || r == null)
        {
            return;
        }
        final int remaining = r.length - r.written;
        if (!r.openEnded && n > remaining)
        {
            transport.failActive(this, Errno.EIO, "more body than requested (" + (r.written + n) + " of "
                + r.length + " bytes)", true);
            return;
        }
        final int take = Math.min(n, remaining);
        if (!completion.beginWrite(r.slot, r.generation))
        {
            transport.dropAbandoned(this, r);
            return;
        }
        final long dst = completion.destAddress(r.slot) + r.written;
        if (buf.hasMemoryAddress())
        {
            final long src = buf.memoryAddress() + buf.readerIndex();
            if (src != dst) // equal: the socket was read straight into the destination (DirectBodyRecvAllocator)
            {
                UnsafeApi.copyMemory(src, dst, take);
            }
            else
            {
                transport.countDirectBytes(take);
            }
        }
        else
        {
            int done = 0;
            while (done < take)
            {
                final int chunk = Math.min(take - done, scratch.length);
                buf.getBytes(buf.readerIndex() + done, scratch, 0, chunk);
                // Agrona's Unsafe, not Netty's: on Java 24+ Netty runs without Unsafe unless told otherwise
                UnsafeApi.copyMemory(scratch, BYTE_ARRAY_BASE, null, dst + done, chunk);
                done += chunk;
            }
        }
        r.written += take;
        transport.countBytes(take);
        if (r.written == r.length)
        {
            completion.completeWrite(r.slot, r.generation, r.length);
            request = null;
            transport.completed(r);
            if (r.openEnded)
            {
                close(); // the rest of the file is unwanted; rqbit prioritises the stream until it closes
            }
            else
            {
                phase = DONE;
            }
        }
        else
        {
            completion.endWrite(r.slot, r.generation, r.written);
        }
    }

    private void onLast()
    {
        switch (phase)
        {
            case BODY:
            {
                final RangeRequest r = request;
                transport.failActive(this, Errno.EIO, "body ended after " + (r == null ? 0 : r.written) + " of "
                    + (r == null ? 0 : r.length) + " bytes", true);
                break;
            }
            case ERROR_BODY:
            {
                final String body = new String(errorBody, 0, errorBodyLength, StandardCharsets.UTF_8);
                if (body.contains("initializing"))
                {
                    transport.retryInitializing(this, request);
                }
                else
                {
                    transport.failActive(this, Errno.EIO, "HTTP 500: " + sanitize(body), false);
                }
                finishResponse();
                break;
            }
            case DONE:
            case DISCARD:
                finishResponse();
                break;
            default:
                break;
        }
    }

    private void finishResponse()
    {
        if (phase == CLOSING)
        {
            return;
        }
        if (keepAlive)
        {
            transport.release(this);
        }
        else
        {
            close();
        }
    }

    private void onFailure(final Throwable t)
    {
        cause(t);
        close();
    }

    @Override
    public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable t)
    {
        onFailure(t);
    }

    /** Makes untrusted text safe and short for one log line. */
    static String sanitize(final String s)
    {
        if (s == null)
        {
            return "(none)";
        }
        final StringBuilder b = new StringBuilder(Math.min(s.length(), 200));
        for (int i = 0; i < s.length() && b.length() < 200; i++)
        {
            final char c = s.charAt(i);
            b.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return b.toString();
    }

    /** Parses {@code Content-Range: bytes S-E/L}. */
    static final class ContentRange
    {
        private ContentRange()
        {
        }

        /** @return S, or -1 if the header is missing or malformed. */
        static long start(final String header)
        {
            final int[] p = positions(header);
            return p == null ? -1 : parse(header, p[0], p[1]);
        }

        /** @return E, or -1 if the header is missing or malformed. */
        static long end(final String header)
        {
            final int[] p = positions(header);
            return p == null ? -1 : parse(header, p[1] + 1, p[2]);
        }

        private static int[] positions(final String h)
        {
            if (h == null || !h.regionMatches(true, 0, "bytes ", 0, 6))
            {
                return null;
            }
            final int dash = h.indexOf('-', 6);
            final int slash = h.indexOf('/', 6);
            if (dash < 0 || slash < dash)
            {
                return null;
            }
            return new int[] {6, dash, slash};
        }

        private static long parse(final String h, final int from, final int to)
        {
            if (to <= from || to - from > 18)
            {
                return -1;
            }
            long v = 0;
            for (int i = from; i < to; i++)
            {
                final char c = h.charAt(i);
                if (c < '0' || c > '9')
                {
                    return -1;
                }
                v = v * 10 + (c - '0');
            }
            return v;
        }
    }
}
