package io.fuseengine.sim;

import io.netty.handler.codec.http.HttpResponseStatus;

import java.nio.charset.StandardCharsets;

/**
 * {@code GET /torrents/{id}/haves}: V9 answers the raw MSB-first bitfield (with {@code x-bitfield-len}) when asked
 * for {@code application/octet-stream}, else an SVG picture; V8 answers bitvec's text/plain debug dump; V7 has no
 * such route (the router answers 404). Stateless; any thread.
 */
final class Haves {
    private Haves() {
    }

    static PreparedResponse respond(RqbitVersion v, SimTorrent t, String accept) {
        byte[] bits = t.bitfield();
        if (v == RqbitVersion.V8) {
            return PreparedResponse.bytes(HttpResponseStatus.OK, "text/plain; charset=utf-8",
                    debugDump(bits).getBytes(StandardCharsets.UTF_8), t.infoHash());
        }
        if (accept != null && accept.contains(SimConstants.OCTET_STREAM)) {
            PreparedResponse r = PreparedResponse.bytes(HttpResponseStatus.OK, SimConstants.OCTET_STREAM, bits,
                    t.infoHash());
            r.headers.set(SimConstants.BITFIELD_LEN_HEADER, Integer.toString(t.totalPieces()));
            return r;
        }
        return PreparedResponse.bytes(HttpResponseStatus.OK, "image/svg+xml", svg(t).getBytes(StandardCharsets.UTF_8),
                t.infoHash());
    }

    /** bitvec's Debug output: {@code BitSlice<u8, bitvec::order::Msb0> { addr: 0x…, head: 000, bits: N } [0, 1, …]}. */
    static String debugDump(byte[] bits) {
        int n = bits.length * 8;
        StringBuilder sb = new StringBuilder(32 + n * 3);
        sb.append("BitSlice<u8, bitvec::order::Msb0> { addr: 0x55d0c0a3f2b0, head: 000, bits: ").append(n)
                .append(" } [");
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append((bits[i >>> 3] >>> (7 - (i & 7))) & 1);
        }
        return sb.append(']').toString();
    }

    private static String svg(SimTorrent t) {
        int n = t.totalPieces();
        StringBuilder sb = new StringBuilder();
        sb.append("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ").append(Math.max(1, n))
                .append(" 1\" preserveAspectRatio=\"none\" width=\"100%\" height=\"16\">");
        for (int p = 0; p < n; p++) {
            if (t.hasPiece(p)) {
                sb.append("<rect x=\"").append(p).append("\" y=\"0\" width=\"1\" height=\"1\" fill=\"#22c55e\"/>");
            }
        }
        return sb.append("</svg>").toString();
    }
}
