package io.fuseengine.core.read;

/** Test content: the byte at position p of a file is a pure function of (seed, p). */
final class GeneratedBytes
{
    private GeneratedBytes()
    {
    }

    static byte at(final long seed, final long pos)
    {
        long z = seed * 0x9E3779B97F4A7C15L + pos;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return (byte)(z ^ (z >>> 31));
    }
}
