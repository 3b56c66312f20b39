package io.fuseengine.core.meta;

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

    @Override
    void close();
}
