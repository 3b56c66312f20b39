package io.fuseengine.sim;

import io.netty.buffer.ByteBuf;

/**
 * The bytes of one response body, addressed {@code 0..length()-1}. Called on the connection's event loop only,
 * except the wake-up passed to {@link #awaitReadable}, which runs on whatever thread makes the data available.
 */
interface BodySource {
    long length();

    /** How many bytes from {@code pos} (at most {@code max}) can be written now; 0 means wait. */
    int readable(long pos, int max);

    /** Appends {@code len} bytes from {@code pos} to {@code dst}. */
    void writeTo(long pos, ByteBuf dst, int len);

    /**
     * Arranges for {@code wake} to run once the byte at {@code pos} may be readable. Returns a handle for
     * {@link #cancelAwait}, or null when the data became readable meanwhile (retry at once).
     */
    default Object awaitReadable(long pos, Runnable wake) {
        return null;
    }

    default void cancelAwait(Object handle) {
    }

    /** True when the body can never complete (its torrent was removed). */
    default boolean broken() {
        return false;
    }

    /** The response starts (stream bodies register their read position with the downloader). */
    default void open() {
    }

    /** Everything before {@code pos} was written. */
    default void advanced(long pos) {
    }

    /** The response ended, normally or not. Called at most once, after {@link #open()}. */
    default void close() {
    }
}
