package io.fuseengine.core.meta;

import java.util.List;
import java.util.Objects;

/**
 * One entry of a torrent's {@code files}, exactly as rqbit sent it (components are untrusted and not yet
 * sanitised).
 *
 * @param index      position in rqbit's {@code files} array: the {@code file_idx} of stream URLs.
 * @param name       components joined with '/'.
 * @param components path components relative to the torrent's folder.
 * @param length     bytes, never negative.
 * @param included   whether rqbit downloads it (reading an excluded file makes rqbit fetch it).
 * @param padding    a BEP 47 padding file: not a real file, hidden from the mount.
 */
public record TorrentFile(int index, String name, List<String> components, long length, boolean included, boolean padding)
{
    public TorrentFile
    {
        Objects.requireNonNull(components, "components");
        components = List.copyOf(components);
        if (length < 0)
        {
            throw new IllegalArgumentException("negative length " + length);
        }
    }
}
