package io.fuseengine.transport;

import io.fuseengine.core.config.EngineConfig;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Objects;

/**
 * What the HTTP side needs to reach one rqbit daemon, derived once from {@link EngineConfig}: where it is, how to
 * authenticate, and the connection limits. Immutable; {@link #toString()} never shows the credentials.
 * <p>
 * Threads: any.
 */
public final class TransportOptions
{
    /** Default cap on open stream connections (rqbit holds a blocking-thread permit per open stream). */
    public static final int DEFAULT_MAX_CONNECTIONS = 4;

    private final String host;
    private final int port;
    private final String pathPrefix;
    private final String hostHeader;
    private final String authorization;
    private final int maxConnections;
    private final Duration connectTimeout;
    private final Duration idleConnectionTimeout;

    private TransportOptions(
        final URI baseUrl,
        final String user,
        final String password,
        final int maxConnections,
        final Duration connectTimeout,
        final Duration idleConnectionTimeout)
    {
        Objects.requireNonNull(baseUrl, "baseUrl");
        if (!"http".equalsIgnoreCase(baseUrl.getScheme()) || baseUrl.getHost() == null)
        {
            throw new IllegalArgumentException("base URL must be http://host[:port][/prefix]: " + redact(baseUrl));
        }
        if (maxConnections < 1)
        {
            throw new IllegalArgumentException("maxConnections must be at least 1: " + maxConnections);
        }
        if ((user == null) != (password == null))
        {
            throw new IllegalArgumentException("basic-auth user and password go together");
        }
        final String rawHost = baseUrl.getHost();
        this.host = rawHost.startsWith("[") && rawHost.endsWith("]") ? rawHost.substring(1, rawHost.length() - 1) : rawHost;
        this.port = baseUrl.getPort() < 0 ? 80 : baseUrl.getPort();
        String prefix = baseUrl.getRawPath() == null ? "" : baseUrl.getRawPath();
        while (prefix.endsWith("/"))
        {
            prefix = prefix.substring(0, prefix.length() - 1);
        }
        this.pathPrefix = prefix;
        this.hostHeader = baseUrl.getPort() < 0 ? rawHost : rawHost + ":" + baseUrl.getPort();
        this.authorization = user == null ? null : basicAuthorization(user, password);
        this.maxConnections = maxConnections;
        this.connectTimeout = requirePositive(connectTimeout, "connectTimeout");
        this.idleConnectionTimeout = requirePositive(idleConnectionTimeout, "idleConnectionTimeout");
    }

    /**
     * @param config the engine configuration.
     * @return the options it implies.
     */
    public static TransportOptions from(final EngineConfig config)
    {
        return new TransportOptions(
            config.rqbitUrl(),
            config.rqbitUser(),
            config.rqbitPassword(),
            config.maxConnections(),
            config.connectTimeout(),
            config.idleConnectionTimeout());
    }

    /**
     * @param baseUrl               rqbit's API root, e.g. {@code http://127.0.0.1:3030}.
     * @param user                  basic-auth user, or null.
     * @param password              basic-auth password, or null.
     * @param maxConnections        cap on open connections.
     * @param connectTimeout        TCP connect timeout.
     * @param idleConnectionTimeout an idle keep-alive connection is closed after this long.
     * @return the options.
     */
    public static TransportOptions of(
        final URI baseUrl,
        final String user,
        final String password,
        final int maxConnections,
        final Duration connectTimeout,
        final Duration idleConnectionTimeout)
    {
        return new TransportOptions(baseUrl, user, password, maxConnections, connectTimeout, idleConnectionTimeout);
    }

    /**
     * @return the value of an {@code Authorization: Basic ...} header.
     */
    static String basicAuthorization(final String user, final String password)
    {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static Duration requirePositive(final Duration d, final String name)
    {
        if (d == null || d.isZero() || d.isNegative())
        {
            throw new IllegalArgumentException(name + " must be positive: " + d);
        }
        return d;
    }

    /**
     * @return the URL without any user-info part, safe for log lines.
     */
    static String redact(final URI uri)
    {
        if (uri.getRawUserInfo() == null)
        {
            return uri.toString();
        }
        return uri.toString().replace(uri.getRawUserInfo() + "@", "");
    }

    /** Host to connect to (IPv6 without brackets). */
    public String host()
    {
        return host;
    }

    public int port()
    {
        return port;
    }

    /** Path of the API root ("" for the server root), prepended to every request path. */
    public String pathPrefix()
    {
        return pathPrefix;
    }

    /** Value of the {@code Host} header. */
    public String hostHeader()
    {
        return hostHeader;
    }

    /** Value of the {@code Authorization} header, or null without credentials. Never log it. */
    String authorization()
    {
        return authorization;
    }

    public boolean hasCredentials()
    {
        return authorization != null;
    }

    public int maxConnections()
    {
        return maxConnections;
    }

    public Duration connectTimeout()
    {
        return connectTimeout;
    }

    public Duration idleConnectionTimeout()
    {
        return idleConnectionTimeout;
    }

    @Override
    public String toString()
    {
        return "TransportOptions{http://" + hostHeader + pathPrefix
            + ", auth=" + (authorization == null ? "none" : "basic")
            + ", maxConnections=" + maxConnections
            + ", connectTimeout=" + connectTimeout.toMillis() + "ms"
            + ", idleConnectionTimeout=" + idleConnectionTimeout.toMillis() + "ms}";
    }
}
