package io.fuseengine.core.readahead;

import io.fuseengine.core.cache.ChunkCache;
import io.fuseengine.core.read.PieceAvailability;
import io.fuseengine.core.read.ReadPipeline;
import io.fuseengine.core.read.StreamTarget;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** One reader under test: a counting transport, a pipeline over it, and a streaming reader over a shared cache. */
final class Rig implements AutoCloseable
{
    private static final AtomicInteger NEXT_TORRENT = new AtomicInteger(1);

    final CountingTransport transport = new CountingTransport();
    final ReadPipeline pipeline;
    final StreamingReader reader;
    final ChunkCache cache;

    Rig(final ChunkCache cache, final ReadAheadConfig config)
    {
        this(cache, config, TimeUnit.SECONDS.toNanos(10));
    }

    Rig(final ChunkCache cache, final ReadAheadConfig config, final long readTimeoutNs)
    {
        this(cache, config, readTimeoutNs, null);
    }

    Rig(final ChunkCache cache, final ReadAheadConfig config, final long readTimeoutNs, final PieceAvailability pieces)
    {
        this.cache = cache;
        this.pipeline = new ReadPipeline(64, 128, readTimeoutNs, transport);
        this.reader = new StreamingReader(pipeline, cache, config, pieces);
    }

    /** A file of a torrent no other test uses (so a shared cache holds nothing of it yet). */
    static StreamTarget newFile(final long length, final String name)
    {
        final String hash = String.format("%08x", NEXT_TORRENT.getAndIncrement()).repeat(5);
        return new StreamTarget(hash, 0, length, name);
    }

    static UnsafeBuffer buffer(final int length)
    {
        return new UnsafeBuffer(BufferUtil.allocateDirectAligned(Math.max(64, length), 4096));
    }

    /** Asserts {@code dest[0, n)} holds the file's bytes at {@code offset}. */
    static void assertBytes(final StreamTarget target, final UnsafeBuffer dest, final long offset, final int n)
    {
        final long seed = CountingTransport.seed(target);
        for (int i = 0; i < n; i++)
        {
            if (dest.getByte(i) != CountingTransport.at(seed, offset + i))
            {
                throw new AssertionError("wrong byte at file offset " + (offset + i) + " of " + target);
            }
        }
    }

    /** Reads and checks every byte. */
    int readChecked(final OpenStream s, final long offset, final int length, final UnsafeBuffer dest)
    {
        dest.setMemory(0, length, (byte)0x5A);
        final int r = reader.read(s, offset, length, dest.addressOffset());
        final long expected = Math.max(0, Math.min(length, s.target().length() - offset));
        assertThat(r).as("read of %d at %d", length, offset).isEqualTo((int)expected);
        assertBytes(s.target(), dest, offset, r);
        return r;
    }

    /** Waits (bounded) until no chunk is queued or being fetched. */
    void awaitReadAheadIdle()
    {
        final long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (reader.inFlightChunks() != 0 || reader.queuedChunks() != 0)
        {
            if (System.nanoTime() - giveUp > 0)
            {
                throw new AssertionError("read-ahead still busy: " + reader.inFlightChunks() + " in flight");
            }
            Thread.yield();
        }
    }

    /** Waits (bounded) until {@code n} reads have waited on in-flight chunks. */
    void awaitInFlightWaits(final long n)
    {
        final long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (reader.inFlightWaits() < n)
        {
            if (System.nanoTime() - giveUp > 0)
            {
                throw new AssertionError("only " + reader.inFlightWaits() + " waits, expected " + n);
            }
            Thread.yield();
        }
    }

    /** Waits (bounded) until {@code n} chunk fetches have failed. */
    void awaitFailedFetches(final long n)
    {
        final long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (reader.failedFetches() < n)
        {
            if (System.nanoTime() - giveUp > 0)
            {
                throw new AssertionError("only " + reader.failedFetches() + " failed fetches, expected " + n);
            }
            Thread.yield();
        }
    }

    @Override
    public void close()
    {
        reader.close();
        pipeline.close();
    }
}
