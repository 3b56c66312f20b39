package io.fuseengine.core.meta;

import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * An immutable snapshot of which bytes of one torrent rqbit has: the torrent's geometry (file offsets inside the
 * torrent, padding files included; piece length; piece count), its last {@code stats/v1} (state, finished, per-file
 * progress) and its last piece bitfield ({@code /haves}), each with the {@link System#nanoTime()} its request was
 * started at. Every part is optional; a new snapshot is made with the {@code with...} methods, never by mutation.
 *
 * <h2>Verdicts</h2>
 * {@link #classify} answers, for a byte range of one file:
 * <ul>
 *   <li>{@link #AVAILABLE}: every piece of the range is had (from the bitfield, or the file's progress equals its
 *   length, or the torrent is finished and sent no per-file progress). Pieces are never lost, so this verdict does
 *   not age;</li>
 *   <li>{@link #MISSING}: some piece of the range is not had (the bitfield, or a file progress of 0), per a snapshot
 *   at most {@link #STALE_NS} old;</li>
 *   <li>{@link #PAUSED}: MISSING, and rqbit had the torrent paused per stats at most {@link #PAUSED_FRESH_NS} old,
 *   with the missing-piece evidence taken while it was paused (a paused torrent downloads nothing, so that evidence
 *   is still true);</li>
 *   <li>{@link #UNKNOWN}: anything else (no snapshot, no piece length, stale, a file that does not match).</li>
 * </ul>
 *
 * <h2>Piece length</h2>
 * rqbit's JSON does not carry it. {@link #withGeometry} takes it exact (from {@code /metadata}) when the caller has
 * it, else derives it from {@code total_pieces} (v9) as the one power of two {@code L} with
 * {@code ceil(total / L) == total_pieces} (unique for two pieces or more), else {@link #withBits} derives it from the
 * bitfield's length (exact, or rounded up to bytes as rqbit 8 sends it: then only if one candidate fits).
 * <p>
 * Threads: immutable, any thread. {@link #classify} and {@link #availableBytes} allocate nothing.
 */
public final class PieceMap
{
    /** Every piece of the range is had. */
    public static final int AVAILABLE = 0;
    /** Some piece of the range is not had (yet). */
    public static final int MISSING = 1;
    /** Some piece of the range is not had and the torrent is paused: it will not arrive. */
    public static final int PAUSED = 2;
    /** No usable information. */
    public static final int UNKNOWN = 3;

    /** Torrent state not known (no stats, or a state this version does not know). */
    public static final int STATE_UNKNOWN = 0;
    public static final int STATE_LIVE = 1;
    public static final int STATE_PAUSED = 2;
    public static final int STATE_INITIALIZING = 3;
    public static final int STATE_ERROR = 4;

    /** A MISSING verdict needs evidence at most this old, else it is UNKNOWN. */
    public static final long STALE_NS = TimeUnit.SECONDS.toNanos(10);
    /** A PAUSED verdict needs stats saying "paused" at most this old. */
    public static final long PAUSED_FRESH_NS = TimeUnit.SECONDS.toNanos(5);

    /** Smallest and largest power-of-two piece lengths considered when deriving one (1 KiB .. 1 GiB). */
    static final int MIN_PIECE_SHIFT = 10;
    static final int MAX_PIECE_SHIFT = 30;

    private static final long[] NO_LONGS = new long[0];
    private static final PieceMap EMPTY = new PieceMap(
        false, NO_LONGS, NO_LONGS, 0, -1, -1,
        false, STATE_UNKNOWN, false, NO_LONGS, 0, 0,
        null, 0);

    // ---- geometry ----
    private final boolean hasGeometry;
    private final long[] fileOffsets;
    private final long[] fileLengths;
    private final long totalLength;
    private final long pieceLength;
    private final int totalPieces;

    // ---- stats ----
    private final boolean hasStats;
    private final int state;
    private final boolean finished;
    private final long[] fileProgress;
    private final long statsAt;
    /** statsAt of the first snapshot of the current run of "paused" snapshots. */
    private final long pausedSince;

    // ---- bitfield ----
    private final byte[] bits;
    private final long bitsAt;

    private PieceMap(
        final boolean hasGeometry, final long[] fileOffsets, final long[] fileLengths, final long totalLength,
        final long pieceLength, final int totalPieces,
        final boolean hasStats, final int state, final boolean finished, final long[] fileProgress,
        final long statsAt, final long pausedSince,
        final byte[] bits, final long bitsAt)
    {
        this.hasGeometry = hasGeometry;
        this.fileOffsets = fileOffsets;
        this.fileLengths = fileLengths;
        this.totalLength = totalLength;
        this.pieceLength = pieceLength;
        this.totalPieces = totalPieces;
        this.hasStats = hasStats;
        this.state = state;
        this.finished = finished;
        this.fileProgress = fileProgress;
        this.statsAt = statsAt;
        this.pausedSince = pausedSince;
        this.bits = bits;
        this.bitsAt = bitsAt;
    }

    /** @return a snapshot that knows nothing (every verdict UNKNOWN). */
    public static PieceMap empty()
    {
        return EMPTY;
    }

    /**
     * Sets the torrent's geometry (a snapshot that already has one is returned unchanged: it never changes for an
     * info hash).
     *
     * @param details          the torrent's files, in rqbit's order, padding included.
     * @param exactPieceLength the piece length from {@code /metadata}, or 0 (or less) to derive it.
     * @throws IllegalArgumentException if the piece length contradicts {@code total_pieces}.
     */
    public PieceMap withGeometry(final TorrentDetails details, final long exactPieceLength)
    {
        Objects.requireNonNull(details, "details");
        if (hasGeometry)
        {
            return this;
        }
        final int n = details.files().size();
        final long[] offsets = new long[n];
        final long[] lengths = new long[n];
        long total = 0;
        for (int i = 0; i < n; i++)
        {
            offsets[i] = total;
            lengths[i] = details.files().get(i).length();
            total += lengths[i];
        }
        final int sentPieces = details.totalPieces();
        long length;
        long pieces;
        if (total == 0)
        {
            length = 1;
            pieces = 0;
        }
        else if (exactPieceLength > 0)
        {
            length = exactPieceLength;
            pieces = ceilDiv(total, length);
            if (sentPieces >= 0 && pieces != sentPieces)
            {
                throw new IllegalArgumentException("piece length " + length + " gives " + pieces + " pieces for "
                    + total + " bytes, but rqbit counts " + sentPieces);
            }
            if (pieces > Integer.MAX_VALUE)
            {
                throw new IllegalArgumentException("piece length " + length + " gives too many pieces for " + total
                    + " bytes");
            }
        }
        else if (sentPieces > 0)
        {
            length = powerOfTwoPieceLength(total, sentPieces);
            pieces = length > 0 ? sentPieces : -1;
        }
        else
        {
            length = -1;
            pieces = -1;
        }
        return new PieceMap(true, offsets, lengths, total, length, (int)pieces,
            hasStats, state, finished, sanitizeProgress(fileProgress, lengths), statsAt, pausedSince,
            bits, bitsAt);
    }

    /**
     * Sets the torrent's last stats. Stats whose request started before the ones held are ignored.
     *
     * @param progress rqbit's stats.
     * @param atNanos  {@link System#nanoTime()} when the stats request was started.
     */
    public PieceMap withStats(final TorrentProgress progress, final long atNanos)
    {
        Objects.requireNonNull(progress, "progress");
        if (hasStats && atNanos - statsAt < 0)
        {
            return this;
        }
        final int st = state(progress.state());
        final long since = st != STATE_PAUSED ? 0 : hasStats && state == STATE_PAUSED ? pausedSince : atNanos;
        final long[] fp = progress.fileProgress().clone();
        return new PieceMap(hasGeometry, fileOffsets, fileLengths, totalLength, pieceLength, totalPieces,
            true, st, progress.finished(), hasGeometry ? sanitizeProgress(fp, fileLengths) : fp, atNanos, since,
            bits, bitsAt);
    }

    /**
     * Sets the torrent's last piece bitfield, checked against the geometry (needs {@link #withGeometry} first). If
     * the piece length is not known yet it is derived from the bitfield's length. A bitfield whose request started
     * before the one held is ignored.
     *
     * @param haves   rqbit's bitfield (kept, not copied).
     * @param atNanos {@link System#nanoTime()} when the haves request was started.
     * @throws IllegalArgumentException if there is no geometry yet, the bit count does not match the piece count,
     *                                  or no piece length fits: the snapshot is then unchanged (never partial data).
     */
    public PieceMap withBits(final TorrentHaves haves, final long atNanos)
    {
        Objects.requireNonNull(haves, "haves");
        if (!hasGeometry)
        {
            throw new IllegalArgumentException("a bitfield needs the torrent's files first");
        }
        if (bits != null && atNanos - bitsAt < 0)
        {
            return this;
        }
        long length = pieceLength;
        int pieces = totalPieces;
        if (length <= 0)
        {
            length = haves.exactCount()
                ? powerOfTwoPieceLength(totalLength, haves.bitCount())
                : powerOfTwoPieceLengthPadded(totalLength, haves.bitCount());
            if (length <= 0)
            {
                throw new IllegalArgumentException("no power-of-two piece length fits " + totalLength + " bytes in "
                    + (haves.exactCount() ? "" : "about ") + haves.bitCount() + " pieces");
            }
            pieces = (int)ceilDiv(totalLength, length);
        }
        final long expected = haves.exactCount() ? pieces : roundUpToByte(pieces);
        if (haves.bitCount() != expected)
        {
            throw new IllegalArgumentException("bitfield of " + haves.bitCount() + " bits for a torrent of " + pieces
                + " pieces");
        }
        return new PieceMap(hasGeometry, fileOffsets, fileLengths, totalLength, length, pieces,
            hasStats, state, finished, fileProgress, statsAt, pausedSince,
            haves.bits(), atNanos);
    }

    /**
     * Classifies {@code [offset, offset + length)} of file {@code fileIndex}. Allocation-free.
     *
     * @param fileIndex  index in rqbit's {@code files}.
     * @param fileLength the file's length as the caller knows it (a mismatch with the geometry answers UNKNOWN).
     * @param offset     first byte, in the file.
     * @param length     bytes; 0 or less is AVAILABLE.
     * @param nowNanos   {@link System#nanoTime()}.
     * @return {@link #AVAILABLE}, {@link #MISSING}, {@link #PAUSED} or {@link #UNKNOWN}.
     */
    public int classify(
        final int fileIndex, final long fileLength, final long offset, final long length, final long nowNanos)
    {
        if (length <= 0)
        {
            return AVAILABLE;
        }
        if (fileIndex < 0 || offset < 0 || offset > fileLength - length || !fileMatches(fileIndex, fileLength))
        {
            return UNKNOWN;
        }
        if (fileComplete(fileIndex, fileLength))
        {
            return AVAILABLE;
        }
        if (bits != null && pieceLength > 0)
        {
            final long abs = fileOffsets[fileIndex] + offset;
            final long first = abs / pieceLength;
            final long last = (abs + length - 1) / pieceLength;
            if (last >= totalPieces)
            {
                return UNKNOWN;
            }
            return firstMissing(first, last) < 0 ? AVAILABLE : missingVerdict(nowNanos, bitsAt);
        }
        if (hasStats && fileIndex < fileProgress.length && fileProgress[fileIndex] == 0)
        {
            return missingVerdict(nowNanos, statsAt); // nothing of the file is had: no piece of the range is
        }
        return UNKNOWN;
    }

    /**
     * How many bytes from {@code offset} on are known to be had, without a gap: what a reader can fetch now without
     * waiting for the swarm. Allocation-free.
     *
     * @param maxLength the most the caller cares about.
     * @return bytes in {@code [0, min(maxLength, fileLength - offset)]}; 0 when nothing is known.
     */
    public long availableBytes(final int fileIndex, final long fileLength, final long offset, final long maxLength)
    {
        final long want = Math.min(maxLength, fileLength - offset);
        if (want <= 0 || fileIndex < 0 || offset < 0 || !fileMatches(fileIndex, fileLength))
        {
            return 0;
        }
        if (fileComplete(fileIndex, fileLength))
        {
            return want;
        }
        if (bits == null || pieceLength <= 0)
        {
            return 0;
        }
        final long abs = fileOffsets[fileIndex] + offset;
        final long first = abs / pieceLength;
        final long last = (abs + want - 1) / pieceLength;
        if (last >= totalPieces)
        {
            return 0;
        }
        final long missing = firstMissing(first, last);
        return missing < 0 ? want : Math.max(0, missing * pieceLength - abs);
    }

    /**
     * @return true when nothing more can arrive: every piece is had (bitfield), or every file's progress equals its
     * length. A torrent rqbit calls finished may still lack files it does not download ({@code included: false}).
     */
    public boolean complete()
    {
        if (!hasGeometry)
        {
            return false;
        }
        if (bits != null && pieceLength > 0 && firstMissing(0, totalPieces - 1L) < 0)
        {
            return true;
        }
        if (!hasStats || fileProgress.length != fileLengths.length)
        {
            return false;
        }
        for (int i = 0; i < fileLengths.length; i++)
        {
            if (fileProgress[i] != fileLengths[i])
            {
                return false;
            }
        }
        return true;
    }

    private boolean fileMatches(final int fileIndex, final long fileLength)
    {
        return !hasGeometry || (fileIndex < fileLengths.length && fileLengths[fileIndex] == fileLength);
    }

    private boolean fileComplete(final int fileIndex, final long fileLength)
    {
        if (!hasStats)
        {
            return false;
        }
        if (fileIndex < fileProgress.length)
        {
            return fileProgress[fileIndex] == fileLength;
        }
        return finished && fileProgress.length == 0;
    }

    private int missingVerdict(final long now, final long evidenceAt)
    {
        if (now - evidenceAt > STALE_NS)
        {
            return UNKNOWN;
        }
        if (hasStats && state == STATE_PAUSED && now - statsAt <= PAUSED_FRESH_NS && evidenceAt - pausedSince >= 0)
        {
            return PAUSED;
        }
        return MISSING;
    }

    /** @return the first piece in {@code [first, last]} not had, or -1. Needs {@link #bits}. */
    private long firstMissing(final long first, final long last)
    {
        long p = first;
        while (p <= last)
        {
            final int b = bits[(int)(p >>> 3)];
            if ((p & 7) == 0 && p + 7 <= last && b == (byte)0xFF)
            {
                p += 8;
                continue;
            }
            if ((b & (0x80 >>> (p & 7))) == 0)
            {
                return p;
            }
            p++;
        }
        return -1;
    }

    /**
     * The power-of-two piece length {@code L} (1 KiB .. 1 GiB) with {@code ceil(total / L) == pieces}. Unique for
     * {@code pieces >= 2}; for one piece the smallest that fits (every byte is in piece 0 either way).
     *
     * @return {@code L}, or -1 if none fits.
     */
    public static long powerOfTwoPieceLength(final long totalLength, final int pieces)
    {
        if (totalLength <= 0 || pieces <= 0)
        {
            return -1;
        }
        for (int shift = MIN_PIECE_SHIFT; shift <= MAX_PIECE_SHIFT; shift++)
        {
            final long l = 1L << shift;
            if (ceilDiv(totalLength, l) == pieces)
            {
                return l;
            }
        }
        return -1;
    }

    /**
     * As {@link #powerOfTwoPieceLength}, when only the piece count rounded up to whole bytes is known (rqbit 8's
     * bitfield dump): the power of two whose piece count rounds up to {@code paddedBits}, if only one piece count
     * fits.
     *
     * @return {@code L}, or -1 if none or several piece counts fit.
     */
    public static long powerOfTwoPieceLengthPadded(final long totalLength, final int paddedBits)
    {
        if (totalLength <= 0 || paddedBits <= 0 || (paddedBits & 7) != 0)
        {
            return -1;
        }
        long found = -1;
        long foundPieces = -1;
        for (int shift = MIN_PIECE_SHIFT; shift <= MAX_PIECE_SHIFT; shift++)
        {
            final long l = 1L << shift;
            final long pieces = ceilDiv(totalLength, l);
            if (roundUpToByte(pieces) == paddedBits)
            {
                if (found < 0)
                {
                    found = l;
                    foundPieces = pieces;
                }
                else if (pieces != foundPieces)
                {
                    return -1; // two different layouts fit: ambiguous
                }
            }
        }
        return found;
    }

    /**
     * @param name rqbit's {@code state}.
     * @return one of the {@code STATE_} constants.
     */
    public static int state(final String name)
    {
        if (name == null)
        {
            return STATE_UNKNOWN;
        }
        switch (name)
        {
            case "live":
                return STATE_LIVE;
            case "paused":
                return STATE_PAUSED;
            case "initializing":
                return STATE_INITIALIZING;
            case "error":
                return STATE_ERROR;
            default:
                return STATE_UNKNOWN;
        }
    }

    /** @return a verdict's name, for log lines. */
    public static String verdictName(final int verdict)
    {
        switch (verdict)
        {
            case AVAILABLE: return "AVAILABLE";
            case MISSING: return "MISSING";
            case PAUSED: return "PAUSED";
            default: return "UNKNOWN";
        }
    }

    private static long[] sanitizeProgress(final long[] progress, final long[] lengths)
    {
        if (progress.length != lengths.length)
        {
            return NO_LONGS; // does not describe these files: use none of it
        }
        for (int i = 0; i < progress.length; i++)
        {
            if (progress[i] < 0 || progress[i] > lengths[i])
            {
                return NO_LONGS;
            }
        }
        return progress;
    }

    private static long ceilDiv(final long a, final long b)
    {
        return (a + b - 1) / b;
    }

    private static long roundUpToByte(final long bitsCount)
    {
        return (bitsCount + 7) & ~7L;
    }

    // ---- read-only views, for the refresher, metrics and tests ----

    public boolean hasGeometry()
    {
        return hasGeometry;
    }

    public boolean hasStats()
    {
        return hasStats;
    }

    public boolean hasBits()
    {
        return bits != null;
    }

    /** @return the piece length, or -1 when not known. */
    public long pieceLength()
    {
        return pieceLength;
    }

    /** @return the piece count, or -1 when not known. */
    public int totalPieces()
    {
        return totalPieces;
    }

    /** @return bytes of the torrent, padding included (0 without geometry). */
    public long totalLength()
    {
        return totalLength;
    }

    /** @return number of entries in rqbit's {@code files} (0 without geometry). */
    public int fileCount()
    {
        return fileLengths.length;
    }

    /** @return where file {@code index} starts inside the torrent (the lengths of the entries before it). */
    public long fileOffset(final int index)
    {
        return fileOffsets[index];
    }

    /** @return one of the {@code STATE_} constants. */
    public int state()
    {
        return state;
    }

    public boolean finished()
    {
        return finished;
    }

    /** @return {@link System#nanoTime()} of the stats request held (meaningless without stats). */
    public long statsAtNanos()
    {
        return statsAt;
    }

    /** @return {@link System#nanoTime()} of the haves request held (meaningless without a bitfield). */
    public long bitsAtNanos()
    {
        return bitsAt;
    }

    /**
     * @return true if {@code other} would give the same verdicts as this snapshot at the same instant, ignoring the
     * snapshots' ages: same geometry, stats content and bitfield.
     */
    public boolean sameContent(final PieceMap other)
    {
        return other != null && other.hasGeometry == hasGeometry && other.pieceLength == pieceLength
            && other.totalPieces == totalPieces && other.hasStats == hasStats && other.state == state
            && other.finished == finished && java.util.Arrays.equals(other.fileProgress, fileProgress)
            && java.util.Arrays.equals(other.bits, bits);
    }

    @Override
    public String toString()
    {
        return "PieceMap[" + (hasGeometry ? fileLengths.length + " files, " + totalLength + " B, " : "no layout, ")
            + (pieceLength > 0 ? totalPieces + " pieces of " + pieceLength + " B" : "piece length unknown")
            + (hasStats ? ", state " + state + (finished ? " finished" : "") : ", no stats")
            + (bits != null ? ", bitfield" : ", no bitfield") + "]";
    }
}
