package io.fuseengine.sim;

import io.netty.buffer.ByteBuf;

/** A body held in memory (JSON, bitfields, error documents). Event loop only. */
final class BytesBody implements BodySource {
    static final BytesBody EMPTY = new BytesBody(new byte[0]);

    private final byte[] bytes;

    BytesBody(byte[] bytes) {
        this.bytes = bytes;
    }

    byte[] bytes() {
        return bytes;
    }

    @Override
    public long length() {
        return bytes.length;
    }

    @Override
    public int readable(long pos, int max) {
        return (int) Math.min(max, bytes.length - pos);
    }

    @Override
    public void writeTo(long pos, ByteBuf dst, int len) {
        dst.writeBytes(bytes, (int) pos, len);
    }
}
