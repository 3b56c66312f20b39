package io.fuseengine.fuse.fs;

import io.fuseengine.core.errno.Errno;
import io.fuseengine.core.meta.TorrentProgress;

/**
 * What the filesystem needs from the catalog beyond the tree: per-torrent facts kept fresh in the background
 * (rqbit id, download progress) and the one mutating operation, removal.
 * <p>
 * Threads: called from libfuse worker threads. {@link #torrentId} and {@link #progress} never block (they read a
 * snapshot); {@link #remove} is the one call that goes to rqbit, bounded by the metadata timeout.
 */
public interface TorrentControl
{
    /** Knows nothing and removes nothing (removal answers EROFS). */
    TorrentControl NONE = new TorrentControl()
    {
        @Override
        public long torrentId(final String infoHash)
        {
            return -1;
        }

        @Override
        public TorrentProgress progress(final String infoHash)
        {
            return null;
        }

        @Override
        public int remove(final String infoHash, final String name)
        {
            return Errno.EROFS;
        }
    };

    /**
     * Never blocks.
     *
     * @return rqbit's id of the torrent as last listed, or -1 when unknown.
     */
    long torrentId(String infoHash);

    /**
     * Never blocks.
     *
     * @return the last known progress of the torrent, or null when rqbit never answered its stats.
     */
    TorrentProgress progress(String infoHash);

    /**
     * Makes rqbit forget the torrent (its files stay on disk) and takes it out of the tree at once. Blocks the
     * caller for at most the metadata timeout.
     *
     * @param infoHash the torrent.
     * @param name     its name, for the log.
     * @return 0 once rqbit forgot it (or no longer knew it), else a positive errno (the tree is then unchanged).
     */
    int remove(String infoHash, String name);
}
