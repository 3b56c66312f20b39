package io.fuseengine.core.meta;

import java.util.Arrays;
import java.util.Objects;

/**
 * How far rqbit has downloaded one torrent: the part of {@code GET /torrents/{id}/stats/v1} the mount shows
 * (extended attributes, {@code st_blocks}).
 *
 * @param state         {@code initializing}, {@code live}, {@code paused}, {@code error}, or whatever the daemon
 *                      sent ("unknown" when absent); never null.
 * @param progressBytes bytes downloaded and checked.
 * @param totalBytes    bytes of the torrent.
 * @param finished      true when every wanted byte is there.
 * @param fileProgress  bytes downloaded per file, in rqbit's file order (padding included; empty when the daemon
 *                      sent none). Kept as given: callers must not modify it (read it with {@link #fileProgress(int)}).
 */
public record TorrentProgress(String state, long progressBytes, long totalBytes, boolean finished, long[] fileProgress)
{
    public TorrentProgress
    {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(fileProgress, "fileProgress");
    }

    /**
     * Allocation-free.
     *
     * @return bytes downloaded of file {@code index}, or -1 when the daemon did not say.
     */
    public long fileProgress(final int index)
    {
        return index >= 0 && index < fileProgress.length ? fileProgress[index] : -1;
    }

    @Override
    public boolean equals(final Object o)
    {
        return o instanceof TorrentProgress p && p.state.equals(state) && p.progressBytes == progressBytes
            && p.totalBytes == totalBytes && p.finished == finished && Arrays.equals(p.fileProgress, fileProgress);
    }

    @Override
    public int hashCode()
    {
        return Objects.hash(state, progressBytes, totalBytes, finished) * 31 + Arrays.hashCode(fileProgress);
    }

    @Override
    public String toString()
    {
        return "TorrentProgress[state=" + state + ", progressBytes=" + progressBytes + ", totalBytes=" + totalBytes
            + ", finished=" + finished + ", files=" + fileProgress.length + "]";
    }
}
