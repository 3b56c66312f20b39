package io.fuseengine.sim;

import io.netty.buffer.ByteBuf;

/**
 * A stream body: bytes {@code [start, start+length)} of one file. Only bytes of present pieces are readable; a read
 * of a missing piece waits on {@link SimTorrent#await}. While open, its position steers the downloader.
 * Event loop only (except the wake-up runnable).
 */
final class FileBody implements BodySource {
    private final SimTorrent torrent;
    private final SimFile file;
    private final long start;
    private final long length;
    private final long absStart;
    private SimTorrent.StreamCursor cursor;

    FileBody(SimTorrent torrent, SimFile file, long start, long length) {
        this.torrent = torrent;
        this.file = file;
        this.start = start;
        this.length = length;
        this.absStart = file.offsetInTorrent() + start;
    }

    @Override
    public long length() {
        return length;
    }

    @Override
    public int readable(long pos, int max) {
        if (torrent.isRemoved()) {
            return 0;
        }
        if (torrent.allPresent()) {
            return max;
        }
        long abs = absStart + pos;
        long covered = 0;
        while (covered < max) {
            int p = torrent.pieceOf(abs + covered);
            if (!torrent.hasPiece(p)) {
                break;
            }
            covered = torrent.pieceStart(p) + torrent.pieceLength() - abs;
        }
        return (int) Math.min(covered, max);
    }

    @Override
    public void writeTo(long pos, ByteBuf dst, int len) {
        file.read(start + pos, dst, len);
    }

    @Override
    public Object awaitReadable(long pos, Runnable wake) {
        SimTorrent.Waiter w = new SimTorrent.Waiter(torrent.pieceOf(absStart + pos), wake);
        return torrent.await(w) ? w : null;
    }

    @Override
    public void cancelAwait(Object handle) {
        torrent.cancel((SimTorrent.Waiter) handle);
    }

    @Override
    public boolean broken() {
        return torrent.isRemoved();
    }

    @Override
    public void open() {
        cursor = new SimTorrent.StreamCursor(absStart, absStart + length);
        torrent.cursors().add(cursor);
    }

    @Override
    public void advanced(long pos) {
        if (cursor != null) {
            cursor.position = absStart + pos;
        }
    }

    @Override
    public void close() {
        if (cursor != null) {
            torrent.cursors().remove(cursor);
            cursor = null;
        }
    }
}
