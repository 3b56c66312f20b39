package io.fuseengine.app.ops;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * Serves {@code GET /metrics} (Prometheus text format) with the JDK's HTTP server on one daemon thread. Anything
 * else answers 404 (other paths) or 405 (other methods). No authentication: bind it to loopback (the default) or
 * to an interface only the scraper reaches.
 * <p>
 * Threads: {@link #start} and {@link #close} from the owner; requests on the "fe-metrics" thread.
 */
public final class MetricsServer implements AutoCloseable
{
    public static final String PATH = "/metrics";
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    private static final Logger LOG = LoggerFactory.getLogger(MetricsServer.class);

    private final HttpServer server;
    private final ExecutorService executor;

    private MetricsServer(final HttpServer server, final ExecutorService executor)
    {
        this.server = server;
        this.executor = executor;
    }

    /**
     * @param address where to listen; an unresolved address is resolved here (port 0: any free port).
     * @param scrape  produces the metrics text on every request.
     * @throws IOException if the address cannot be bound (in use, not local, unknown host).
     */
    public static MetricsServer start(final InetSocketAddress address, final Supplier<String> scrape) throws IOException
    {
        Objects.requireNonNull(scrape, "scrape");
        final InetSocketAddress bindTo = address.isUnresolved()
            ? new InetSocketAddress(address.getHostString(), address.getPort()) : address;
        if (bindTo.isUnresolved())
        {
            throw new IOException("unknown host " + address.getHostString());
        }
        final HttpServer server = HttpServer.create(bindTo, 16);
        final ExecutorService executor = Executors.newSingleThreadExecutor(r ->
        {
            final Thread t = new Thread(r, "fe-metrics");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", exchange -> handle(exchange, scrape));
        server.start();
        LOG.info("metrics at http://{}{}", formatted(server.getAddress()), PATH);
        return new MetricsServer(server, executor);
    }

    private static void handle(final HttpExchange exchange, final Supplier<String> scrape) throws IOException
    {
        try (exchange)
        {
            final String method = exchange.getRequestMethod();
            if (!PATH.equals(exchange.getRequestURI().getPath()))
            {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            if (!"GET".equals(method) && !"HEAD".equals(method))
            {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            final byte[] body;
            try
            {
                body = scrape.get().getBytes(StandardCharsets.UTF_8);
            }
            catch (final RuntimeException ex)
            {
                LOG.warn("metrics scrape failed", ex);
                exchange.sendResponseHeaders(500, -1);
                return;
            }
            exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
            if ("HEAD".equals(method))
            {
                exchange.sendResponseHeaders(200, -1);
                return;
            }
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody())
            {
                out.write(body);
            }
        }
    }

    /** @return the bound address (the real port when 0 was asked for). */
    public InetSocketAddress address()
    {
        return server.getAddress();
    }

    @Override
    public void close()
    {
        server.stop(0);
        executor.shutdownNow();
    }

    static String formatted(final InetSocketAddress a)
    {
        final String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }
}
