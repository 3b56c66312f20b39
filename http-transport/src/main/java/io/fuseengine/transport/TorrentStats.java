package io.fuseengine.transport;

import java.util.Arrays;
import java.util.Objects;

/**
 * A validated snapshot of rqbit's {@code GET /torrents/{id}/stats/v1}.
 *
 * @param state         {@code initializing}, {@code live}, {@code paused}, {@code error}, or whatever the daemon
 *                      sent (never null; "unknown" when absent).
 * @param progressBytes bytes downloaded and checked.
 * @param totalBytes    bytes of the torrent.
 * @param finished      true when every wanted byte is there.
 * @param fileProgress  bytes downloaded per file, in rqbit's file order (empty when absent). The array is a copy.
 * @param downloadMibps download speed in MiB/s ({@code live.download_speed.mbps}; 0 when not live or absent).
 * @param livePeers     connected peers ({@code live.snapshot.peer_stats.live}; -1 when not live or absent).
 */
public record TorrentStats(
    String state, long progressBytes, long totalBytes, boolean finished, long[] fileProgress, double downloadMibps,
    int livePeers)
{
    /** Without live figures (speed 0, peers unknown). */
    public TorrentStats(
        final String state, final long progressBytes, final long totalBytes, final boolean finished,
        final long[] fileProgress)
    {
        this(state, progressBytes, totalBytes, finished, fileProgress, 0, -1);
    }

    public TorrentStats
    {
        Objects.requireNonNull(state, "state");
        fileProgress = fileProgress.clone();
    }

    /** @return a copy of the per-file progress. */
    @Override
    public long[] fileProgress()
    {
        return fileProgress.clone();
    }

    /** @return the part the mount shows (state, progress, per-file progress). */
    public io.fuseengine.core.meta.TorrentProgress toProgress()
    {
        return new io.fuseengine.core.meta.TorrentProgress(state, progressBytes, totalBytes, finished, fileProgress.clone());
    }

    /** @return true if the torrent is serving (pieces it lacks will arrive). */
    public boolean live()
    {
        return "live".equals(state);
    }

    @Override
    public boolean equals(final Object o)
    {
        return o instanceof TorrentStats s && s.state.equals(state) && s.progressBytes == progressBytes
            && s.totalBytes == totalBytes && s.finished == finished && Arrays.equals(s.fileProgress, fileProgress)
            && Double.compare(s.downloadMibps, downloadMibps) == 0 && s.livePeers == livePeers;
    }

    @Override
    public int hashCode()
    {
        return Objects.hash(state, progressBytes, totalBytes, finished, downloadMibps, livePeers) * 31
            + Arrays.hashCode(fileProgress);
    }

    @Override
    public String toString()
    {
        return "TorrentStats[state=" + state + ", progressBytes=" + progressBytes + ", totalBytes=" + totalBytes
            + ", finished=" + finished + ", files=" + fileProgress.length + ", downloadMibps=" + downloadMibps
            + ", livePeers=" + livePeers + "]";
    }
}
