package io.fuseengine.fuse.catalog;

import io.fuseengine.core.meta.TorrentProgress;

/**
 * What the catalog last learnt about one torrent besides its layout.
 *
 * @param id       rqbit's id in the last list (changes when the daemon restarts).
 * @param progress the last stats rqbit answered, or null if it never did (kept when a later fetch fails).
 */
public record TorrentStatus(long id, TorrentProgress progress)
{
}
