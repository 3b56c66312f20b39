package io.fuseengine.core.meta;

import java.util.List;
import java.util.Objects;

/**
 * rqbit's {@code GET /torrents/{id}}: immutable for a given info hash, so it is fetched once per torrent.
 *
 * @param infoHash    40 lowercase hex characters.
 * @param name        torrent name, or null.
 * @param totalPieces piece count (rqbit 9 only), or -1 when unknown.
 * @param files       in rqbit's order, padding included.
 */
public record TorrentDetails(String infoHash, String name, int totalPieces, List<TorrentFile> files)
{
    public TorrentDetails
    {
        Objects.requireNonNull(infoHash, "infoHash");
        files = List.copyOf(files);
    }

    /**
     * @return total bytes of the torrent, padding included.
     */
    public long totalLength()
    {
        long sum = 0;
        for (final TorrentFile f : files)
        {
            sum += f.length();
        }
        return sum;
    }
}
