package io.fuseengine.core.read;

import io.fuseengine.core.meta.TorrentDetails;
import io.fuseengine.core.meta.TorrentHaves;

/** Test helper for other packages: a {@link PieceAvailability} that already knows one torrent's pieces. */
public final class PieceFixtures
{
    private PieceFixtures()
    {
    }

    /**
     * @param details geometry (total pieces, files) of the torrent.
     * @param bits    MSB-first bitfield of the pieces had.
     * @param pieces  number of pieces the bitfield covers.
     */
    public static PieceAvailability knowing(final TorrentDetails details, final byte[] bits, final int pieces)
    {
        final PieceAvailability a = new PieceAvailability();
        a.updateGeometry(details.infoHash(), details, 0);
        a.updateBits(details.infoHash(), new TorrentHaves(bits, pieces, true), System.nanoTime());
        return a;
    }
}
