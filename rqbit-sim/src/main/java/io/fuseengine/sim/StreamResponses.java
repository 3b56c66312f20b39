package io.fuseengine.sim;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * Answers {@code GET /torrents/{id}/stream/{idx}} given the Range header, per emulated version:
 * <ul>
 * <li>no Range (or an unsupported one: suffix, multi-range) → 200, whole file;</li>
 * <li>{@code bytes=S-} → 206 {@code S..len-1}; S ≥ len → 416;</li>
 * <li>{@code bytes=S-E}: V9 → 206 exactly {@code E-S+1} bytes, E &lt; S or S ≥ len or E ≥ len → 416;
 * V7/V8 ignore it (as their parser did) → 200, whole file from byte 0, even when it would be unsatisfiable;</li>
 * <li>a zero-length file: no Range → 200 with an empty body, any honoured Range → 416.</li>
 * </ul>
 * Any thread (stateless).
 */
final class StreamResponses {
    private StreamResponses() {
    }

    static PreparedResponse build(RqbitVersion v, SimTorrent t, SimFile f, String rangeHeader) {
        RangeHeader r = RangeHeader.parse(rangeHeader);
        long len = f.length();
        if (r.type == RangeHeader.Type.BOUNDED && !v.supportsBoundedRange()) {
            r = RangeHeader.NONE;
        }
        switch (r.type) {
            case OPEN:
                if (r.start >= len) {
                    return unsatisfiable(t, f, "range start " + r.start + " past end of file of length " + len);
                }
                return partial(t, f, r.start, len - 1);
            case BOUNDED:
                if (r.end < r.start || r.start >= len || r.end >= len) {
                    return unsatisfiable(t, f, "range " + r.start + "-" + r.end + " not satisfiable for length " + len);
                }
                return partial(t, f, r.start, r.end);
            default:
                HttpHeaders h = baseHeaders(f);
                return new PreparedResponse(HttpResponseStatus.OK, h, new FileBody(t, f, 0, len),
                        PreparedResponse.Kind.STREAM, t.infoHash(),
                        new PreparedResponse.StreamRequest(t, f, 0, len - 1));
        }
    }

    static PreparedResponse partial(SimTorrent t, SimFile f, long start, long endInclusive) {
        HttpHeaders h = baseHeaders(f);
        h.set(HttpHeaderNames.CONTENT_RANGE, "bytes " + start + "-" + endInclusive + "/" + f.length());
        return new PreparedResponse(HttpResponseStatus.PARTIAL_CONTENT, h,
                new FileBody(t, f, start, endInclusive - start + 1), PreparedResponse.Kind.STREAM, t.infoHash(),
                new PreparedResponse.StreamRequest(t, f, start, endInclusive));
    }

    /**
     * The WRONG_CONTENT_RANGE fault: a 206 whose Content-Range and body start elsewhere than requested (up to 4 KiB
     * later, or one byte earlier when the request covers a single byte). Returns {@code original} unchanged when no
     * other start exists (one-byte file).
     */
    static PreparedResponse wrongStart(PreparedResponse original) {
        PreparedResponse.StreamRequest s = original.stream;
        long span = s.endInclusive - s.start + 1;
        long wrong;
        if (span >= 2) {
            wrong = s.start + Math.max(1, Math.min(4096, span / 2));
        } else if (s.start > 0) {
            wrong = s.start - 1;
        } else {
            return original;
        }
        return partial(s.torrent, s.file, wrong, s.endInclusive);
    }

    private static PreparedResponse unsatisfiable(SimTorrent t, SimFile f, String message) {
        HttpResponseStatus st = HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE;
        PreparedResponse r = PreparedResponse.json(st, ApiJson.error(st, "internal_error", message, null),
                PreparedResponse.Kind.OTHER, t.infoHash());
        r.headers.set(HttpHeaderNames.CONTENT_RANGE, "bytes */" + f.length());
        return r;
    }

    private static HttpHeaders baseHeaders(SimFile f) {
        HttpHeaders h = new DefaultHttpHeaders();
        h.set(HttpHeaderNames.ACCEPT_RANGES, HttpHeaderValues.BYTES);
        h.set(HttpHeaderNames.CONTENT_TYPE, MimeTypes.forName(f.name()));
        return h;
    }
}
