package io.fuseengine.sim;

import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** An immutable copy of a decoded request (so it can be queued without holding Netty buffers). */
final class SimRequest {
    final HttpMethod method;
    final String uri;
    /** Percent-decoded path segments, without the leading empty one. */
    final List<String> segments;
    final Map<String, List<String>> query;
    final HttpHeaders headers;
    final byte[] body;
    final boolean keepAlive;
    final boolean decodeFailed;

    private SimRequest(FullHttpRequest req) {
        this.method = req.method();
        this.uri = req.uri();
        this.headers = req.headers().copy();
        this.body = ByteBufUtil.getBytes(req.content());
        this.keepAlive = HttpUtil.isKeepAlive(req);
        this.decodeFailed = req.decoderResult().isFailure();
        String raw = uri;
        int q = raw.indexOf('?');
        String path = q >= 0 ? raw.substring(0, q) : raw;
        List<String> segs = new ArrayList<>();
        for (String s : path.split("/")) {
            if (!s.isEmpty()) {
                segs.add(QueryStringDecoder.decodeComponent(s));
            }
        }
        this.segments = List.copyOf(segs);
        this.query = new QueryStringDecoder(raw).parameters();
    }

    static SimRequest of(FullHttpRequest req) {
        return new SimRequest(req);
    }

    boolean isGetOrHead() {
        return HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method);
    }

    boolean isHead() {
        return HttpMethod.HEAD.equals(method);
    }

    String queryParam(String name) {
        List<String> v = query.get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    boolean isStreamPath() {
        return segments.size() >= 4 && segments.get(0).equals("torrents") && segments.get(2).equals("stream");
    }

    @Override
    public String toString() {
        return method + " " + uri;
    }
}
