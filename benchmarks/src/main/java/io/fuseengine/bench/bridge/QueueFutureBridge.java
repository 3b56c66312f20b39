package io.fuseengine.bench.bridge;

import io.fuseengine.core.errno.Errno;
import org.agrona.BufferUtil;
import org.agrona.UnsafeApi;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Rival (b), the seed's recommended design (seed-async-fuse-spec §3.2, {@code AsyncFuseWorker}) translated to Java:
 * the caller sends a request carrying a one-shot response channel over a bounded channel ({@code mpsc::channel(100)}
 * → {@link ArrayBlockingQueue} of 100, {@code try_send} → {@link ArrayBlockingQueue#offer}, EAGAIN when full) to one
 * worker thread, which produces the bytes into a fresh buffer ({@code Vec<u8>} → {@code byte[]}) and sends it back
 * ({@code oneshot} → {@link CompletableFuture}); the caller waits with a timeout ({@code recv_timeout} →
 * {@link CompletableFuture#get(long, TimeUnit)}) and copies the bytes into its destination (as {@code reply.data}
 * copies the Vec into the FUSE reply). Allocates a request, a future and the payload per read.
 */
public final class QueueFutureBridge implements ReadBridge
{
    /** The seed's channel capacity. */
    public static final int SEED_CHANNEL_CAPACITY = 100;

    private final SourceBytes source;
    private final long readTimeoutNs;
    private final ArrayBlockingQueue<Request> requests;
    private final Thread worker;
    private volatile boolean running = true;

    public QueueFutureBridge(final SourceBytes source, final int capacity, final long readTimeoutNs)
    {
        this.source = source;
        this.readTimeoutNs = readTimeoutNs;
        this.requests = new ArrayBlockingQueue<>(capacity);
        this.worker = new Thread(this::work, "seed-bridge-worker");
        worker.setDaemon(true);
        worker.start();
    }

    @Override
    public int read(final long offset, final int length, final long destAddress)
    {
        final CompletableFuture<byte[]> response = new CompletableFuture<>();
        if (!requests.offer(new Request(offset, length, response)))
        {
            return -Errno.EAGAIN;
        }
        final byte[] data;
        try
        {
            data = response.get(readTimeoutNs, TimeUnit.NANOSECONDS);
        }
        catch (final TimeoutException ex)
        {
            return -Errno.ETIMEDOUT;
        }
        catch (final ExecutionException ex)
        {
            return -Errno.EIO;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return -Errno.EIO;
        }
        UnsafeApi.copyMemory(data, BufferUtil.ARRAY_BASE_OFFSET, null, destAddress, data.length);
        return data.length;
    }

    private void work()
    {
        while (running)
        {
            final Request request;
            try
            {
                request = requests.take();
            }
            catch (final InterruptedException ex)
            {
                return;
            }
            final byte[] data = new byte[request.length];
            UnsafeApi.copyMemory(null, source.address() + request.offset, data, BufferUtil.ARRAY_BASE_OFFSET, data.length);
            request.response.complete(data);
        }
    }

    @Override
    public void close()
    {
        running = false;
        worker.interrupt();
        try
        {
            worker.join(2000);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private static final class Request
    {
        final long offset;
        final int length;
        final CompletableFuture<byte[]> response;

        Request(final long offset, final int length, final CompletableFuture<byte[]> response)
        {
            this.offset = offset;
            this.length = length;
            this.response = response;
        }
    }
}
