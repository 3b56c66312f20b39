package io.fuseengine.sim;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * Just enough bencode for the simulator: encoding a torrent's info dictionary ({@code /metadata}) and finding the
 * info hash of posted .torrent bytes. Stateless; any thread.
 */
final class Bencode {
    private Bencode() {
    }

    /**
     * The bencoded info dictionary of {@code t}. Piece hashes are deterministic filler (the simulator's info hashes
     * are not real SHA-1s of this dictionary).
     */
    static byte[] infoDictionary(SimTorrent t) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write('d');
        if (t.isSingleFile()) {
            key(out, "length");
            integer(out, t.totalLength());
        } else {
            key(out, "files");
            out.write('l');
            for (SimFile f : t.files()) {
                out.write('d');
                if (f.padding()) {
                    key(out, "attr");
                    string(out, "p".getBytes(StandardCharsets.UTF_8));
                }
                key(out, "length");
                integer(out, f.length());
                key(out, "path");
                out.write('l');
                List<String> comps = f.components();
                comps.forEach(c -> string(out, c.getBytes(StandardCharsets.UTF_8)));
                out.write('e');
                out.write('e');
            }
            out.write('e');
        }
        key(out, "name");
        string(out, t.name().getBytes(StandardCharsets.UTF_8));
        key(out, "piece length");
        integer(out, t.pieceLength());
        key(out, "pieces");
        byte[] pieces = new byte[t.totalPieces() * 20];
        ContentGenerator.fill(Long.parseUnsignedLong(t.infoHash().substring(24), 16), 0, pieces, 0, pieces.length);
        string(out, pieces);
        out.write('e');
        return out.toByteArray();
    }

    /** SHA-1 (lowercase hex) of the {@code info} value of a .torrent file, or null when it is not one. */
    static String infoHashOfTorrentFile(byte[] data) {
        try {
            if (data.length == 0 || data[0] != 'd') {
                return null;
            }
            int i = 1;
            while (i < data.length && data[i] != 'e') {
                int keyEnd = skip(data, i);
                String k = new String(data, i, keyEnd - i, StandardCharsets.ISO_8859_1);
                int valEnd = skip(data, keyEnd);
                if (k.endsWith(":info")) {
                    MessageDigest md = MessageDigest.getInstance("SHA-1");
                    md.update(data, keyEnd, valEnd - keyEnd);
                    return HexFormat.of().formatHex(md.digest()).toLowerCase(Locale.ROOT);
                }
                i = valEnd;
            }
            return null;
        } catch (RuntimeException | NoSuchAlgorithmException e) {
            return null;
        }
    }

    /** Index just past the bencoded value starting at {@code i}. */
    private static int skip(byte[] d, int i) {
        byte b = d[i];
        if (b == 'i') {
            int e = indexOf(d, 'e', i);
            return e + 1;
        }
        if (b == 'l' || b == 'd') {
            int j = i + 1;
            while (d[j] != 'e') {
                j = skip(d, j);
            }
            return j + 1;
        }
        if (b >= '0' && b <= '9') {
            int colon = indexOf(d, ':', i);
            int len = Integer.parseInt(new String(d, i, colon - i, StandardCharsets.US_ASCII));
            if (len < 0 || colon + 1 + len > d.length) {
                throw new IllegalArgumentException("bad string length");
            }
            return colon + 1 + len;
        }
        throw new IllegalArgumentException("bad bencode at " + i);
    }

    private static int indexOf(byte[] d, char c, int from) {
        for (int j = from; j < d.length; j++) {
            if (d[j] == c) {
                return j;
            }
        }
        throw new IllegalArgumentException("unterminated");
    }

    private static void key(ByteArrayOutputStream out, String k) {
        string(out, k.getBytes(StandardCharsets.UTF_8));
    }

    private static void string(ByteArrayOutputStream out, byte[] b) {
        out.writeBytes(Integer.toString(b.length).getBytes(StandardCharsets.US_ASCII));
        out.write(':');
        out.writeBytes(b);
    }

    private static void integer(ByteArrayOutputStream out, long v) {
        out.write('i');
        out.writeBytes(Long.toString(v).getBytes(StandardCharsets.US_ASCII));
        out.write('e');
    }
}
