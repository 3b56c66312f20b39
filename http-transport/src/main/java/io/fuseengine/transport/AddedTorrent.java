package io.fuseengine.transport;

import java.util.Objects;

/**
 * What rqbit answered to {@code POST /torrents}.
 *
 * @param id           rqbit's numeric id (-1 when absent, e.g. {@code list_only}); ids are never reused.
 * @param infoHash     lowercase 40-hex info hash.
 * @param name         torrent name, or null (a magnet whose metadata is still resolving).
 * @param outputFolder where rqbit stores the files, or null.
 */
public record AddedTorrent(long id, String infoHash, String name, String outputFolder)
{
    public AddedTorrent
    {
        Objects.requireNonNull(infoHash, "infoHash");
    }
}
