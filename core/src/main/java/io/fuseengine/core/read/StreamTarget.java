package io.fuseengine.core.read;

import java.util.Objects;

/**
 * One readable file of one torrent, as the transport addresses it: immutable, created once per file when the
 * catalog is built and shared by every read of that file (a read event carries a reference, never a copy).
 * <p>
 * Torrents are addressed by info hash, not by rqbit's numeric id: ids change when the daemon restarts, info hashes
 * do not, and every rqbit version accepts either in {@code /torrents/{id}/...}.
 */
public final class StreamTarget
{
    private final String infoHash;
    private final int fileIndex;
    private final long length;
    private final String streamPath;
    private final String description;

    /**
     * @param infoHash    40 lowercase hex characters.
     * @param fileIndex   index of the file in rqbit's {@code files} array.
     * @param length      file length in bytes, from rqbit's metadata.
     * @param description human-readable name for log lines (torrent / path), never sent anywhere.
     */
    public StreamTarget(final String infoHash, final int fileIndex, final long length, final String description)
    {
        if (!isInfoHash(infoHash))
        {
            throw new IllegalArgumentException("not an info hash: " + infoHash);
        }
        if (fileIndex < 0 || length < 0)
        {
            throw new IllegalArgumentException("fileIndex=" + fileIndex + " length=" + length);
        }
        this.infoHash = infoHash;
        this.fileIndex = fileIndex;
        this.length = length;
        this.streamPath = "/torrents/" + infoHash + "/stream/" + fileIndex;
        this.description = Objects.requireNonNull(description, "description");
    }

    /**
     * @param s candidate.
     * @return true if {@code s} is 40 lowercase hex characters.
     */
    public static boolean isInfoHash(final String s)
    {
        if (s == null || s.length() != 40)
        {
            return false;
        }
        for (int i = 0; i < 40; i++)
        {
            final char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            {
                return false;
            }
        }
        return true;
    }

    public String infoHash()
    {
        return infoHash;
    }

    public int fileIndex()
    {
        return fileIndex;
    }

    public long length()
    {
        return length;
    }

    /**
     * @return the request path, {@code /torrents/<infohash>/stream/<fileIndex>}.
     */
    public String streamPath()
    {
        return streamPath;
    }

    public String description()
    {
        return description;
    }

    @Override
    public String toString()
    {
        return description + " [" + infoHash + "#" + fileIndex + ", " + length + " B]";
    }
}
