package io.fuseengine.core.meta;

import java.util.Objects;

/**
 * One entry of rqbit's {@code GET /torrents}.
 *
 * @param id       rqbit's numeric id (changes when the daemon restarts; do not key on it).
 * @param infoHash 40 lowercase hex characters: the stable key.
 * @param name     torrent name, or null (rqbit 7, or a magnet still resolving).
 */
public record TorrentSummary(long id, String infoHash, String name)
{
    public TorrentSummary
    {
        Objects.requireNonNull(infoHash, "infoHash");
    }
}
