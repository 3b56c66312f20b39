package io.fuseengine.sim;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** A minimal HTTP/1.1 client over one raw socket, for tests that need control of the connection. Test thread only. */
final class RawHttp implements Closeable {
    final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    RawHttp(int port) throws IOException {
        this(port, 5_000);
    }

    RawHttp(int port, int readTimeoutMs) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
        socket.setSoTimeout(readTimeoutMs);
        socket.setTcpNoDelay(true);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    /** Sends a request; {@code extraHeaders} are full lines without CRLF. */
    void send(String method, String path, String... extraHeaders) throws IOException {
        sendWithBody(method, path, null, extraHeaders);
    }

    void sendWithBody(String method, String path, byte[] body, String... extraHeaders) throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        for (String h : extraHeaders) {
            sb.append(h).append("\r\n");
        }
        if (body != null) {
            sb.append("Content-Length: ").append(body.length).append("\r\n");
        }
        sb.append("\r\n");
        out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
        if (body != null) {
            out.write(body);
        }
        out.flush();
    }

    /** Reads a status line and headers. */
    Head readHead() throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("EOF before end of headers: " + buf.toString(StandardCharsets.UTF_8));
            }
            buf.write(b);
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3))
                    ? state + 1 : (b == '\r' ? 1 : 0);
        }
        String[] lines = buf.toString(StandardCharsets.UTF_8).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int c = lines[i].indexOf(':');
            if (c > 0) {
                headers.put(lines[i].substring(0, c).trim().toLowerCase(Locale.ROOT), lines[i].substring(c + 1).trim());
            }
        }
        return new Head(status, headers);
    }

    /** Reads exactly {@code n} bytes, or fewer if the connection ends. */
    byte[] readBody(long n) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream((int) Math.min(n, 1 << 20));
        byte[] chunk = new byte[65536];
        long left = n;
        while (left > 0) {
            int r = in.read(chunk, 0, (int) Math.min(chunk.length, left));
            if (r < 0) {
                break;
            }
            buf.write(chunk, 0, r);
            left -= r;
        }
        return buf.toByteArray();
    }

    /** Reads and discards {@code n} bytes; returns how many were read before EOF. */
    long drain(long n) throws IOException {
        byte[] chunk = new byte[1 << 20];
        long left = n;
        while (left > 0) {
            int r = in.read(chunk, 0, (int) Math.min(chunk.length, left));
            if (r < 0) {
                break;
            }
            left -= r;
        }
        return n - left;
    }

    /** One request, whole response (body per Content-Length). */
    Response exchange(String method, String path, String... headers) throws IOException {
        send(method, path, headers);
        Head h = readHead();
        long len = Long.parseLong(h.headers.getOrDefault("content-length", "0"));
        byte[] body = method.equals("HEAD") ? new byte[0] : readBody(len);
        return new Response(h, body);
    }

    int read() throws IOException {
        return in.read();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    static final class Head {
        final int status;
        final Map<String, String> headers;

        Head(int status, Map<String, String> headers) {
            this.status = status;
            this.headers = headers;
        }

        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        long contentLength() {
            return Long.parseLong(headers.get("content-length"));
        }
    }

    static final class Response {
        final Head head;
        final byte[] body;

        Response(Head head, byte[] body) {
            this.head = head;
            this.body = body;
        }

        int status() {
            return head.status;
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }
}
