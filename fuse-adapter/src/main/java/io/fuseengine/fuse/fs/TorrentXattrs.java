package io.fuseengine.fuse.fs;

import io.fuseengine.core.meta.TorrentProgress;
import io.fuseengine.core.read.StreamTarget;
import io.fuseengine.fuse.tree.FsNode;
import io.fuseengine.fuse.tree.TorrentLayout;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The read-only extended attributes of a torrent's entries (its top-level entry and everything below it; the root
 * has none):
 * <ul>
 *   <li>{@code user.torrent.info_hash}: 40 lowercase hex characters.</li>
 *   <li>{@code user.torrent.id}: rqbit's id as last listed (omitted when unknown; changes when rqbit restarts).</li>
 *   <li>{@code user.torrent.name}: the torrent's name (control characters replaced by {@code _}).</li>
 *   <li>{@code user.torrent.file_index} (files): the index in rqbit's file list (the stream URL's).</li>
 *   <li>{@code user.torrent.progress}: downloaded fraction with four decimals, e.g. {@code 0.4375}: of the file
 *   for a file, of the whole torrent for a directory.</li>
 *   <li>{@code user.torrent.pieces}: {@code have/total} pieces of the torrent, when rqbit reports the piece count
 *   (rqbit 9). {@code have} is derived from the downloaded bytes and the piece length, so it is exact when the
 *   torrent is complete or empty and otherwise an estimate (rounded down).</li>
 *   <li>{@code user.torrent.status}: one JSON object, {@code {"state":..,"progress_bytes":..,"total_bytes":..,
 *   "finished":..}} plus {@code "file_length"} and {@code "file_progress"} for a file.</li>
 * </ul>
 * The last three (and {@code file_progress}) exist only once rqbit has answered the torrent's stats.
 * <p>
 * Threads: FUSE threads; reads the control's snapshot, never the network. Allocates (not a hot path).
 */
final class TorrentXattrs
{
    static final String PREFIX = "user.torrent.";
    static final String INFO_HASH = PREFIX + "info_hash";
    static final String ID = PREFIX + "id";
    static final String NAME = PREFIX + "name";
    static final String FILE_INDEX = PREFIX + "file_index";
    static final String PROGRESS = PREFIX + "progress";
    static final String PIECES = PREFIX + "pieces";
    static final String STATUS = PREFIX + "status";

    private TorrentXattrs()
    {
    }

    /**
     * @return attribute name → value, in listing order.
     */
    static Map<String, String> of(final FsNode node, final TorrentLayout torrent, final TorrentControl control)
    {
        final Map<String, String> out = new LinkedHashMap<>();
        final String hash = torrent.infoHash();
        out.put(INFO_HASH, hash);
        final long id = control.torrentId(hash);
        if (id >= 0)
        {
            out.put(ID, Long.toString(id));
        }
        out.put(NAME, torrent.torrentName());
        final StreamTarget target = node.target();
        if (target != null)
        {
            out.put(FILE_INDEX, Integer.toString(target.fileIndex()));
        }
        final TorrentProgress p = control.progress(hash);
        if (p == null)
        {
            return out;
        }
        final long fileDone = target == null ? -1 : Math.min(p.fileProgress(target.fileIndex()), target.length());
        if (target != null)
        {
            if (fileDone >= 0)
            {
                out.put(PROGRESS, fraction(fileDone, target.length()));
            }
        }
        else
        {
            out.put(PROGRESS, fraction(p.progressBytes(), p.totalBytes()));
        }
        final int pieces = torrent.totalPieces();
        final long pieceLength = torrent.pieceLength();
        if (pieces > 0 && pieceLength > 0)
        {
            final long have = p.finished() || p.progressBytes() >= p.totalBytes() && p.totalBytes() > 0
                ? pieces : Math.min(pieces, Math.max(0, p.progressBytes()) / pieceLength);
            out.put(PIECES, have + "/" + pieces);
        }
        final StringBuilder json = new StringBuilder(160).append('{');
        json.append("\"state\":");
        quote(json, p.state());
        json.append(",\"progress_bytes\":").append(p.progressBytes());
        json.append(",\"total_bytes\":").append(p.totalBytes());
        json.append(",\"finished\":").append(p.finished());
        if (target != null)
        {
            json.append(",\"file_length\":").append(target.length());
            if (fileDone >= 0)
            {
                json.append(",\"file_progress\":").append(fileDone);
            }
        }
        out.put(STATUS, json.append('}').toString());
        return out;
    }

    /** @return {@code done/total} with four decimals ("1.0000" for an empty file or torrent). */
    static String fraction(final long done, final long total)
    {
        final double f = total <= 0 ? 1.0 : Math.max(0, Math.min(1.0, (double)done / total));
        return String.format(Locale.ROOT, "%.4f", f);
    }

    private static void quote(final StringBuilder b, final String s)
    {
        b.append('"');
        for (int i = 0; i < s.length(); i++)
        {
            final char c = s.charAt(i);
            if (c == '"' || c == '\\')
            {
                b.append('\\').append(c);
            }
            else if (c < 0x20)
            {
                b.append(String.format(Locale.ROOT, "\\u%04x", (int)c));
            }
            else
            {
                b.append(c);
            }
        }
        b.append('"');
    }
}
