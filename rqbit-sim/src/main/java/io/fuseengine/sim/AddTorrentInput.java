package io.fuseengine.sim;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Locale;

/**
 * What a {@code POST /torrents} body names: a magnet (its btih info hash), an http(s) URL, or .torrent bytes (the
 * SHA-1 of their info dictionary). Immutable; any thread.
 */
final class AddTorrentInput {
    enum Kind { MAGNET, URL, TORRENT_FILE, INVALID }

    final Kind kind;
    /** Lowercase 40-hex info hash, when the input names one. */
    final String infoHash;
    final String text;

    private AddTorrentInput(Kind kind, String infoHash, String text) {
        this.kind = kind;
        this.infoHash = infoHash;
        this.text = text;
    }

    static AddTorrentInput parse(byte[] body, boolean isUrl) {
        String text = new String(body, StandardCharsets.UTF_8).trim();
        if (text.regionMatches(true, 0, "magnet:", 0, 7)) {
            return new AddTorrentInput(Kind.MAGNET, btih(text), text);
        }
        if (isUrl || text.regionMatches(true, 0, "http://", 0, 7) || text.regionMatches(true, 0, "https://", 0, 8)) {
            return new AddTorrentInput(Kind.URL, null, text);
        }
        String hash = Bencode.infoHashOfTorrentFile(body);
        if (hash != null) {
            return new AddTorrentInput(Kind.TORRENT_FILE, hash, null);
        }
        return new AddTorrentInput(Kind.INVALID, null, text.length() > 100 ? text.substring(0, 100) : text);
    }

    /** The info hash of {@code xt=urn:btih:} (hex or base32), or null. */
    static String btih(String magnet) {
        int q = magnet.indexOf('?');
        if (q < 0) {
            return null;
        }
        for (String param : magnet.substring(q + 1).split("&")) {
            int eq = param.indexOf('=');
            if (eq < 0 || !param.substring(0, eq).equalsIgnoreCase("xt")) {
                continue;
            }
            String v = param.substring(eq + 1);
            String prefix = "urn:btih:";
            if (!v.regionMatches(true, 0, prefix, 0, prefix.length())) {
                continue;
            }
            String h = v.substring(prefix.length());
            if (TorrentRegistry.isInfoHash(h)) {
                return h.toLowerCase(Locale.ROOT);
            }
            if (h.length() == 32) {
                byte[] raw = base32(h);
                if (raw != null) {
                    return HexFormat.of().formatHex(raw);
                }
            }
        }
        return null;
    }

    private static byte[] base32(String s) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        byte[] out = new byte[20];
        long buffer = 0;
        int bits = 0;
        int o = 0;
        for (char c : s.toUpperCase(Locale.ROOT).toCharArray()) {
            int v = alphabet.indexOf(c);
            if (v < 0) {
                return null;
            }
            buffer = (buffer << 5) | v;
            bits += 5;
            if (bits >= 8) {
                out[o++] = (byte) (buffer >>> (bits - 8));
                bits -= 8;
            }
        }
        return o == 20 ? out : null;
    }
}
