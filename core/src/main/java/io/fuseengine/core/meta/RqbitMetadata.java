package io.fuseengine.core.meta;

import io.fuseengine.core.errno.Errno;

import java.util.List;

/**
 * The metadata side of rqbit's API. Every call has a deadline (the configured metadata timeout) and either returns
 * a validated document or throws; it never returns partial or unvalidated data.
 * <p>
 * Threads: called by the catalog refresher (and CLI commands); implementations are thread-safe.
 */
public interface RqbitMetadata extends AutoCloseable
{
    /**
     * {@code GET /torrents}.
     */
    List<TorrentSummary> listTorrents() throws MetadataException;

    /**
     * {@code GET /torrents/{infoHash}}.
     */
    TorrentDetails torrentDetails(String infoHash) throws MetadataException;

    /**
     * {@code GET /torrents/{infoHash}/stats/v1}: download progress. The default answers ENOSYS (a client that does
     * not know the call); the catalog then shows no progress.
     *
     * @throws MetadataException ENOENT if rqbit does not know the torrent, ENOSYS if unsupported, or any failure.
     */
    default TorrentProgress progress(final String infoHash) throws MetadataException
    {
        throw new MetadataException(Errno.ENOSYS, "stats not supported by " + getClass().getSimpleName());
    }

    /**
     * {@code GET /torrents/{infoHash}/haves}: the piece bitfield, validated (a byte count that does not fit the bit
     * count, or a document that is not a bitfield, is an error: never partial data). The default answers ENOSYS, and
     * so does a daemon without the endpoint (rqbit 7): callers fall back to {@link #progress}.
     *
     * @throws MetadataException ENOENT if rqbit does not know the torrent, ENOSYS if unsupported, EIO for a malformed
     *                           answer, or any other failure.
     */
    default TorrentHaves haves(final String infoHash) throws MetadataException
    {
        throw new MetadataException(Errno.ENOSYS, "haves not supported by " + getClass().getSimpleName());
    }

    /**
     * The torrent's piece length, from {@code GET /torrents/{infoHash}/metadata} (the bencoded info dictionary, key
     * {@code piece length}): immutable for an info hash. The default answers ENOSYS, and so does a daemon without the
     * endpoint (rqbit 7).
     *
     * @return the piece length in bytes, positive.
     * @throws MetadataException ENOENT if rqbit does not know the torrent, ENOSYS if unsupported, EIO for a malformed
     *                           answer, or any other failure.
     */
    default long pieceLength(final String infoHash) throws MetadataException
    {
        throw new MetadataException(Errno.ENOSYS, "piece length not supported by " + getClass().getSimpleName());
    }

    /**
     * {@code POST /torrents/{infoHash}/forget}: removes the torrent from rqbit's session, keeping its files. The
     * default answers ENOSYS.
     *
     * @return true if rqbit forgot it; false if rqbit did not know it.
     * @throws MetadataException unreachable, timed out, refused (EACCES), unsupported (ENOSYS) or any other failure.
     */
    default boolean forget(final String infoHash) throws MetadataException
    {
        throw new MetadataException(Errno.ENOSYS, "forget not supported by " + getClass().getSimpleName());
    }

    @Override
    void close();
}
