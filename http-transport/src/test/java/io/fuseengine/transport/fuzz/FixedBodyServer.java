package io.fuseengine.transport.fuzz;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * A minimal keep-alive HTTP/1.1 server on loopback that answers every request with 200 and the current body, in
 * one write with TCP_NODELAY (the JDK's HttpServer adds ~40 ms of Nagle delay per answer, too slow for fuzzing
 * thousands of documents). One connection at a time; test use only.
 */
final class FixedBodyServer implements AutoCloseable
{
    private final ServerSocket socket;
    private final Thread thread;
    private final Supplier<byte[]> body;
    private volatile boolean closed;

    FixedBodyServer(final Supplier<byte[]> body) throws IOException
    {
        this.body = body;
        this.socket = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        this.thread = new Thread(this::serve, "fuzz-http");
        thread.setDaemon(true);
        thread.start();
    }

    int port()
    {
        return socket.getLocalPort();
    }

    private void serve()
    {
        while (!closed)
        {
            try (Socket s = socket.accept())
            {
                s.setTcpNoDelay(true);
                final InputStream in = s.getInputStream();
                final OutputStream out = s.getOutputStream();
                while (readRequestHead(in))
                {
                    final byte[] b = body.get();
                    final ByteArrayOutputStream answer = new ByteArrayOutputStream(b.length + 128);
                    answer.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + b.length
                        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    answer.write(b);
                    out.write(answer.toByteArray());
                    out.flush();
                }
            }
            catch (final IOException ex)
            {
                // client went away or server closed: next connection
            }
        }
    }

    /** Reads one request head (requests carry no body here); false at end of stream. */
    private static boolean readRequestHead(final InputStream in) throws IOException
    {
        int state = 0;
        while (state < 4)
        {
            final int c = in.read();
            if (c < 0)
            {
                return false;
            }
            state = switch (state)
            {
                case 0, 2 -> c == '\r' ? state + 1 : 0;
                case 1, 3 -> c == '\n' ? state + 1 : (c == '\r' ? 1 : 0);
                default -> 0;
            };
        }
        return true;
    }

    @Override
    public void close()
    {
        closed = true;
        try
        {
            socket.close();
        }
        catch (final IOException ex)
        {
            // closing anyway
        }
    }
}
