package io.fuseengine.sim;

import io.netty.buffer.ByteBuf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;

/**
 * One entry of a torrent's {@code files}, padding included, and the bytes the simulator serves for it.
 * Generated files serve {@link ContentGenerator} bytes of the torrent's seed at their torrent offset, padding
 * files serve zeros, files from disk serve the disk bytes (zeros past a shrunk file's end). Thread-safe.
 */
public final class SimFile {
    private final int index;
    private final List<String> components;
    private final String name;
    private final long length;
    private final long offsetInTorrent;
    private final boolean padding;
    private final long seed;
    private final Path source;
    private volatile FileChannel channel;

    SimFile(int index, List<String> components, long length, long offsetInTorrent, boolean padding, long seed,
            Path source) {
        this.index = index;
        this.components = List.copyOf(components);
        this.name = String.join("/", components);
        this.length = length;
        this.offsetInTorrent = offsetInTorrent;
        this.padding = padding;
        this.seed = seed;
        this.source = source;
    }

    public int index() {
        return index;
    }

    /** The components joined with {@code /} (as rqbit's {@code name}). */
    public String name() {
        return name;
    }

    public List<String> components() {
        return components;
    }

    public long length() {
        return length;
    }

    public long offsetInTorrent() {
        return offsetInTorrent;
    }

    public boolean padding() {
        return padding;
    }

    /** The file on disk this entry is served from, or null for generated and padding content. */
    public Path sourcePath() {
        return source;
    }

    /** The byte the sim serves at position {@code pos} of this file. */
    public byte byteAt(long pos) {
        checkRange(pos, 1);
        if (padding) {
            return 0;
        }
        if (source == null) {
            return ContentGenerator.byteAt(seed, offsetInTorrent + pos);
        }
        byte[] one = new byte[1];
        read(pos, one, 0, 1);
        return one[0];
    }

    /** Fills {@code dst[dstOff..dstOff+len)} with this file's bytes from {@code pos}. */
    public void read(long pos, byte[] dst, int dstOff, int len) {
        checkRange(pos, len);
        if (padding) {
            Arrays.fill(dst, dstOff, dstOff + len, (byte) 0);
        } else if (source == null) {
            ContentGenerator.fill(seed, offsetInTorrent + pos, dst, dstOff, len);
        } else {
            ByteBuffer bb = ByteBuffer.wrap(dst, dstOff, len);
            try {
                FileChannel ch = channel();
                long p = pos;
                while (bb.hasRemaining()) {
                    int n = ch.read(bb, p);
                    if (n < 0) {
                        while (bb.hasRemaining()) {
                            bb.put((byte) 0);
                        }
                        break;
                    }
                    p += n;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("reading " + source, e);
            }
        }
    }

    /** Appends {@code len} bytes from {@code pos} at the writer index of {@code dst}. */
    void read(long pos, ByteBuf dst, int len) {
        checkRange(pos, len);
        if (padding) {
            dst.writeZero(len);
        } else if (source == null) {
            ContentGenerator.fill(seed, offsetInTorrent + pos, dst, len);
        } else {
            try {
                FileChannel ch = channel();
                int done = 0;
                while (done < len) {
                    int n = dst.writeBytes(ch, pos + done, len - done);
                    if (n < 0) {
                        dst.writeZero(len - done);
                        break;
                    }
                    done += n;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("reading " + source, e);
            }
        }
    }

    private void checkRange(long pos, long len) {
        if (pos < 0 || len < 0 || pos + len > length) {
            throw new IndexOutOfBoundsException("pos=" + pos + " len=" + len + " file length=" + length);
        }
    }

    private FileChannel channel() throws IOException {
        FileChannel ch = channel;
        if (ch == null) {
            synchronized (this) {
                ch = channel;
                if (ch == null) {
                    ch = FileChannel.open(source, StandardOpenOption.READ);
                    channel = ch;
                }
            }
        }
        return ch;
    }

    /** Closes the disk file, if one was opened. Any thread. */
    void close() {
        synchronized (this) {
            FileChannel ch = channel;
            channel = null;
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // nothing useful to do
                }
            }
        }
    }

    @Override
    public String toString() {
        return "SimFile{" + index + ":" + name + ", " + length + " B @" + offsetInTorrent + (padding ? ", padding" : "")
                + '}';
    }
}
