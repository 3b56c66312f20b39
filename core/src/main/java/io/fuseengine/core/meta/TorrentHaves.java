package io.fuseengine.core.meta;

import java.util.Objects;

/**
 * rqbit's {@code GET /torrents/{id}/haves}: which pieces of a torrent are downloaded and checked, one bit per piece,
 * most significant bit of byte 0 first (piece 0).
 *
 * @param bits       the bitfield, {@code ceil(bitCount / 8)} bytes. Kept as given (no copy): callers must not modify
 *                   it.
 * @param bitCount   number of bits the daemon described.
 * @param exactCount true if {@code bitCount} is the torrent's piece count (v9 sends it in {@code x-bitfield-len});
 *                   false if it is only the piece count rounded up to whole bytes (v8's text dump).
 */
public record TorrentHaves(byte[] bits, int bitCount, boolean exactCount)
{
    public TorrentHaves
    {
        Objects.requireNonNull(bits, "bits");
        if (bitCount < 0 || bits.length != (int)((bitCount + 7L) / 8))
        {
            throw new IllegalArgumentException(bits.length + " bytes cannot hold exactly " + bitCount + " bits");
        }
        if (!exactCount && (bitCount & 7) != 0)
        {
            throw new IllegalArgumentException("a padded bit count is a whole number of bytes: " + bitCount);
        }
    }

    /**
     * Allocation-free.
     *
     * @return true if bit {@code piece} is set (false past {@code bitCount}).
     */
    public boolean has(final int piece)
    {
        return piece >= 0 && piece < bitCount && (bits[piece >>> 3] & (0x80 >>> (piece & 7))) != 0;
    }

    @Override
    public boolean equals(final Object o)
    {
        return o instanceof TorrentHaves h && h.bitCount == bitCount && h.exactCount == exactCount
            && java.util.Arrays.equals(h.bits, bits);
    }

    @Override
    public int hashCode()
    {
        return java.util.Arrays.hashCode(bits) * 31 + bitCount;
    }

    @Override
    public String toString()
    {
        return "TorrentHaves[" + bitCount + (exactCount ? "" : " (padded)") + " bits]";
    }
}
