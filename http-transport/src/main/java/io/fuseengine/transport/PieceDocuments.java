package io.fuseengine.transport;

import io.fuseengine.core.meta.TorrentHaves;
import io.fuseengine.transport.MetadataDocuments.InvalidDocumentException;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Parses and validates rqbit's piece documents: the {@code /haves} bitfield (v9's raw bytes with
 * {@code x-bitfield-len}, v8's {@code text/plain} debug dump of a bitvec) and the piece length in the bencoded
 * {@code /metadata}. The documents are untrusted: anything that does not fit raises {@link InvalidDocumentException}
 * with a message saying what (never partial data); an answer that is not a bitfield at all (v9's SVG picture, an
 * HTML page) raises {@link NotABitfieldException}.
 * <p>
 * Threads: any (stateless).
 */
final class PieceDocuments
{
    /** Largest piece count accepted (2^26: 64 Mi pieces, far beyond any real torrent). */
    static final int MAX_PIECES = 1 << 26;
    /** Largest piece length accepted from {@code /metadata}. */
    static final long MAX_PIECE_LENGTH = 1L << 30;
    static final String OCTET_STREAM = "application/octet-stream";
    static final String BITFIELD_LEN_HEADER = "x-bitfield-len";
    private static final int MAX_BENCODE_DEPTH = 64;

    private PieceDocuments()
    {
    }

    /** The daemon answered something other than a bitfield: this endpoint is not usable with it. */
    static final class NotABitfieldException extends Exception
    {
        private static final long serialVersionUID = 1L;

        NotABitfieldException(final String message)
        {
            super(message);
        }
    }

    /**
     * {@code GET /torrents/{id}/haves}.
     *
     * @param contentType the {@code Content-Type} header, or null.
     * @param bitfieldLen the {@code x-bitfield-len} header, or null.
     * @param body        the body.
     */
    static TorrentHaves haves(final String contentType, final String bitfieldLen, final byte[] body)
        throws InvalidDocumentException, NotABitfieldException
    {
        final String type = mediaType(contentType);
        if (OCTET_STREAM.equals(type))
        {
            return binary(bitfieldLen, body);
        }
        if ("text/plain".equals(type))
        {
            return textDump(body);
        }
        throw new NotABitfieldException("answered " + (contentType == null ? "no Content-Type"
            : "'" + StreamConnection.sanitize(contentType) + "'") + " instead of a bitfield");
    }

    /** v9: MSB-first bytes; {@code x-bitfield-len} is the exact piece count. Without it the count is padded. */
    static TorrentHaves binary(final String bitfieldLen, final byte[] body) throws InvalidDocumentException
    {
        if (bitfieldLen == null)
        {
            if (body.length > MAX_PIECES / 8)
            {
                throw new InvalidDocumentException("bitfield of " + body.length + " bytes is too large");
            }
            return new TorrentHaves(body, body.length * 8, false);
        }
        final String v = bitfieldLen.trim();
        if (v.isEmpty() || v.length() > 9 || !v.chars().allMatch(c -> c >= '0' && c <= '9'))
        {
            throw new InvalidDocumentException(BITFIELD_LEN_HEADER + " '" + StreamConnection.sanitize(bitfieldLen)
                + "' is not a piece count");
        }
        final int bits = Integer.parseInt(v);
        if (bits > MAX_PIECES)
        {
            throw new InvalidDocumentException(BITFIELD_LEN_HEADER + " " + bits + " exceeds " + MAX_PIECES + " pieces");
        }
        final int bytes = (int)((bits + 7L) / 8);
        if (body.length != bytes)
        {
            throw new InvalidDocumentException(BITFIELD_LEN_HEADER + " " + bits + " needs " + bytes
                + " bytes but the body has " + body.length);
        }
        return new TorrentHaves(body, bits, true);
    }

    /**
     * v8: {@code BitSlice<u8, bitvec::order::Msb0> { addr: 0x…, head: 000, bits: N } [0, 0, 1, …]}, padded to whole
     * bytes. Parsed leniently (the part before the list is ignored except {@code bits: N}, which must match when
     * present; entries may be 0/1 or true/false; any whitespace) but completely: one entry that is not a bit rejects
     * the document.
     */
    static TorrentHaves textDump(final byte[] body) throws InvalidDocumentException
    {
        final String s = new String(body, StandardCharsets.UTF_8).trim();
        final int open = s.lastIndexOf('[');
        if (open < 0 || !s.endsWith("]"))
        {
            throw new InvalidDocumentException("text bitfield has no [..] list of bits: '"
                + StreamConnection.sanitize(s.length() > 80 ? s.substring(0, 80) + "..." : s) + "'");
        }
        final long declared = declaredBits(s.substring(0, open));
        final int end = s.length() - 1;
        // first pass: count and check the entries; second: set the bits
        int count = 0;
        int i = open + 1;
        while (true)
        {
            i = skipSpace(s, i, end);
            if (i == end && count == 0)
            {
                break; // "[]"
            }
            final int start = i;
            while (i < end && s.charAt(i) != ',')
            {
                i++;
            }
            bit(s.substring(start, i).trim(), count);
            count++;
            if (count > MAX_PIECES)
            {
                throw new InvalidDocumentException("text bitfield has more than " + MAX_PIECES + " bits");
            }
            if (i == end)
            {
                break;
            }
            i++; // ','
        }
        if (declared >= 0 && declared != count)
        {
            throw new InvalidDocumentException("text bitfield declares " + declared + " bits but lists " + count);
        }
        final byte[] bits = new byte[(count + 7) / 8];
        int n = 0;
        i = open + 1;
        while (n < count)
        {
            i = skipSpace(s, i, end);
            final int start = i;
            while (i < end && s.charAt(i) != ',')
            {
                i++;
            }
            if (bit(s.substring(start, i).trim(), n))
            {
                bits[n >>> 3] |= (byte)(0x80 >>> (n & 7));
            }
            n++;
            i++;
        }
        // v8 dumps whole bytes: a count that is not a multiple of 8 can only be the exact piece count
        return new TorrentHaves(bits, count, (count & 7) != 0);
    }

    private static boolean bit(final String token, final int index) throws InvalidDocumentException
    {
        switch (token)
        {
            case "1":
            case "true":
                return true;
            case "0":
            case "false":
                return false;
            default:
                throw new InvalidDocumentException("text bitfield entry " + index + " is '"
                    + StreamConnection.sanitize(token.length() > 20 ? token.substring(0, 20) + "..." : token)
                    + "', not a bit");
        }
    }

    private static int skipSpace(final String s, final int from, final int end)
    {
        int i = from;
        while (i < end && Character.isWhitespace(s.charAt(i)))
        {
            i++;
        }
        return i;
    }

    /** @return N of a {@code bits: N} in the dump's header, or -1 if there is none. */
    private static long declaredBits(final String header) throws InvalidDocumentException
    {
        final int at = header.lastIndexOf("bits:");
        if (at < 0)
        {
            return -1;
        }
        int i = at + 5;
        while (i < header.length() && header.charAt(i) == ' ')
        {
            i++;
        }
        final int start = i;
        while (i < header.length() && i - start < 10 && Character.isDigit(header.charAt(i)))
        {
            i++;
        }
        if (i == start || (i < header.length() && Character.isDigit(header.charAt(i))))
        {
            throw new InvalidDocumentException("text bitfield header has a malformed bit count");
        }
        return Long.parseLong(header.substring(start, i));
    }

    /**
     * {@code GET /torrents/{id}/metadata}: the bencoded info dictionary (or a whole .torrent, whose {@code info} is
     * searched). Every value is walked, so a malformed document is rejected whatever part is broken.
     *
     * @return the {@code piece length}, in (0, 2^30].
     */
    static long pieceLength(final byte[] bencoded) throws InvalidDocumentException
    {
        final Bencode b = new Bencode(bencoded);
        if (bencoded.length == 0 || bencoded[0] != 'd')
        {
            throw new InvalidDocumentException("torrent metadata is not a bencoded dictionary");
        }
        b.dictionary(0, true);
        if (b.pos != bencoded.length)
        {
            throw new InvalidDocumentException("torrent metadata has " + (bencoded.length - b.pos)
                + " bytes after its dictionary");
        }
        if (b.pieceLength <= 0)
        {
            throw new InvalidDocumentException("torrent metadata has no 'piece length'");
        }
        return b.pieceLength;
    }

    private static String mediaType(final String contentType)
    {
        if (contentType == null)
        {
            return "";
        }
        final int semi = contentType.indexOf(';');
        return (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
    }

    /** A bencode walker that remembers {@code piece length} of the top dictionary or of its {@code info}. */
    private static final class Bencode
    {
        private static final byte[] PIECE_LENGTH = "piece length".getBytes(StandardCharsets.US_ASCII);
        private static final byte[] INFO = "info".getBytes(StandardCharsets.US_ASCII);

        final byte[] d;
        int pos;
        long pieceLength = -1;

        Bencode(final byte[] d)
        {
            this.d = d;
        }

        /** At 'd'. {@code searched}: look for the keys here. */
        void dictionary(final int depth, final boolean searched) throws InvalidDocumentException
        {
            depth(depth);
            pos++;
            while (true)
            {
                need(1);
                if (d[pos] == 'e')
                {
                    pos++;
                    return;
                }
                final int keyLength = stringLength();
                final int key = pos;
                pos += keyLength;
                need(1);
                if (searched && is(key, keyLength, PIECE_LENGTH))
                {
                    final long v = integer();
                    if (v <= 0 || v > MAX_PIECE_LENGTH)
                    {
                        throw new InvalidDocumentException("torrent metadata 'piece length' " + v
                            + " is outside [1, " + MAX_PIECE_LENGTH + "]");
                    }
                    if (pieceLength > 0 && pieceLength != v)
                    {
                        throw new InvalidDocumentException("torrent metadata has two different piece lengths");
                    }
                    pieceLength = v;
                }
                else if (searched && depth == 0 && is(key, keyLength, INFO) && d[pos] == 'd')
                {
                    dictionary(depth + 1, true);
                }
                else
                {
                    value(depth + 1);
                }
            }
        }

        void value(final int depth) throws InvalidDocumentException
        {
            depth(depth);
            need(1);
            final byte c = d[pos];
            if (c == 'i')
            {
                integer();
            }
            else if (c == 'l')
            {
                pos++;
                while (true)
                {
                    need(1);
                    if (d[pos] == 'e')
                    {
                        pos++;
                        return;
                    }
                    value(depth + 1);
                }
            }
            else if (c == 'd')
            {
                dictionary(depth, false);
            }
            else
            {
                final int n = stringLength(); // not "pos += stringLength()": that adds to pos as it was before
                pos += n;
            }
        }

        /** At 'i': {@code i<digits>e}. */
        long integer() throws InvalidDocumentException
        {
            if (d[pos] != 'i')
            {
                throw new InvalidDocumentException("torrent metadata: integer expected at byte " + pos);
            }
            pos++;
            final boolean negative = pos < d.length && d[pos] == '-';
            if (negative)
            {
                pos++;
            }
            final long v = digits('e', 18);
            pos++;
            return negative ? -v : v;
        }

        /** At a string's length prefix: reads {@code <len>:} and checks the bytes are there. */
        int stringLength() throws InvalidDocumentException
        {
            final long len = digits(':', 9);
            pos++;
            if (len > d.length - pos)
            {
                throw new InvalidDocumentException("torrent metadata: string of " + len + " bytes runs past the end");
            }
            return (int)len;
        }

        private long digits(final char terminator, final int maxDigits) throws InvalidDocumentException
        {
            final int start = pos;
            long v = 0;
            while (pos < d.length && d[pos] >= '0' && d[pos] <= '9')
            {
                if (pos - start >= maxDigits)
                {
                    throw new InvalidDocumentException("torrent metadata: number too long at byte " + start);
                }
                v = v * 10 + (d[pos] - '0');
                pos++;
            }
            if (pos == start || pos >= d.length || d[pos] != terminator)
            {
                throw new InvalidDocumentException("torrent metadata: malformed number at byte " + start);
            }
            return v;
        }

        private boolean is(final int at, final int length, final byte[] key)
        {
            if (length != key.length)
            {
                return false;
            }
            for (int i = 0; i < length; i++)
            {
                if (d[at + i] != key[i])
                {
                    return false;
                }
            }
            return true;
        }

        private void need(final int n) throws InvalidDocumentException
        {
            if (d.length - pos < n)
            {
                throw new InvalidDocumentException("torrent metadata ends early");
            }
        }

        private static void depth(final int depth) throws InvalidDocumentException
        {
            if (depth > MAX_BENCODE_DEPTH)
            {
                throw new InvalidDocumentException("torrent metadata nests deeper than " + MAX_BENCODE_DEPTH);
            }
        }
    }
}
