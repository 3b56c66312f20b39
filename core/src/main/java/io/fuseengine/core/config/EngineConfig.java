package io.fuseengine.core.config;

import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The engine's whole configuration: one immutable object, built by a {@link Context} from a config file, the
 * environment and command-line flags (later sources win), and validated once by {@link Context#conclude()}.
 * <p>
 * Every setting has one key, used in all three sources: in the file as {@code key=value} (Java properties), in the
 * environment as {@code FUSE_ENGINE_KEY} (upper case, '-' → '_'), on the command line as {@code --key}.
 */
public final class EngineConfig
{
    public static final String RQBIT_URL = "rqbit-url";
    public static final String RQBIT_USER = "rqbit-user";
    public static final String RQBIT_PASSWORD = "rqbit-password";
    public static final String READ_TIMEOUT = "read-timeout";
    public static final String METADATA_TIMEOUT = "metadata-timeout";
    public static final String CONNECT_TIMEOUT = "connect-timeout";
    public static final String REFRESH_INTERVAL = "refresh-interval";
    public static final String MAX_CONNECTIONS = "max-connections";
    public static final String IDLE_CONNECTION_TIMEOUT = "idle-connection-timeout";
    public static final String READ_SLOTS = "read-slots";
    public static final String RING_SIZE = "ring-size";
    public static final String ALLOW_OTHER = "allow-other";
    public static final String FUSE_OPTIONS = "fuse-options";

    /** Every key, in the order {@code config --print} shows them. */
    public static final List<String> KEYS = List.of(
        RQBIT_URL, RQBIT_USER, RQBIT_PASSWORD, READ_TIMEOUT, METADATA_TIMEOUT, CONNECT_TIMEOUT, REFRESH_INTERVAL,
        MAX_CONNECTIONS, IDLE_CONNECTION_TIMEOUT, READ_SLOTS, RING_SIZE, ALLOW_OTHER, FUSE_OPTIONS);

    public static final String ENV_PREFIX = "FUSE_ENGINE_";

    private final URI rqbitUrl;
    private final String rqbitUser;
    private final String rqbitPassword;
    private final Duration readTimeout;
    private final Duration metadataTimeout;
    private final Duration connectTimeout;
    private final Duration refreshInterval;
    private final int maxConnections;
    private final Duration idleConnectionTimeout;
    private final int readSlots;
    private final int ringSize;
    private final boolean allowOther;
    private final List<String> fuseOptions;

    private EngineConfig(final Context c)
    {
        this.rqbitUrl = c.rqbitUrl;
        this.rqbitUser = c.rqbitUser;
        this.rqbitPassword = c.rqbitPassword;
        this.readTimeout = c.readTimeout;
        this.metadataTimeout = c.metadataTimeout;
        this.connectTimeout = c.connectTimeout;
        this.refreshInterval = c.refreshInterval;
        this.maxConnections = c.maxConnections;
        this.idleConnectionTimeout = c.idleConnectionTimeout;
        this.readSlots = c.readSlots;
        this.ringSize = c.ringSize;
        this.allowOther = c.allowOther;
        this.fuseOptions = List.copyOf(c.fuseOptions);
    }

    /** @return a context holding the defaults. */
    public static Context context()
    {
        return new Context();
    }

    /** @return the defaults, concluded. */
    public static EngineConfig defaults()
    {
        return new Context().conclude();
    }

    /** rqbit's API root, e.g. {@code http://127.0.0.1:3030} (no trailing slash). */
    public URI rqbitUrl()
    {
        return rqbitUrl;
    }

    /** Basic-auth user, or null. */
    public String rqbitUser()
    {
        return rqbitUser;
    }

    /** Basic-auth password, or null. Never logged. */
    public String rqbitPassword()
    {
        return rqbitPassword;
    }

    /** Deadline of every read. */
    public Duration readTimeout()
    {
        return readTimeout;
    }

    /** Deadline of every metadata request ({@code ls} never waits longer on an unreachable rqbit). */
    public Duration metadataTimeout()
    {
        return metadataTimeout;
    }

    public Duration connectTimeout()
    {
        return connectTimeout;
    }

    /** How often the torrent list is refreshed. */
    public Duration refreshInterval()
    {
        return refreshInterval;
    }

    /** Cap on open stream connections to the daemon (rqbit tolerates few open streams). */
    public int maxConnections()
    {
        return maxConnections;
    }

    /** An idle keep-alive connection is closed after this long. */
    public Duration idleConnectionTimeout()
    {
        return idleConnectionTimeout;
    }

    /** Reads in flight at most (a power of two). */
    public int readSlots()
    {
        return readSlots;
    }

    /** Disruptor ring capacity (a power of two). */
    public int ringSize()
    {
        return ringSize;
    }

    public boolean allowOther()
    {
        return allowOther;
    }

    /** Extra FUSE options, as given to {@code -o}. */
    public List<String> fuseOptions()
    {
        return fuseOptions;
    }

    /**
     * @return every setting as {@code key → value}, with the password masked.
     */
    public Map<String, String> describe()
    {
        final Map<String, String> m = new LinkedHashMap<>();
        m.put(RQBIT_URL, rqbitUrl.toString());
        m.put(RQBIT_USER, rqbitUser == null ? "" : rqbitUser);
        m.put(RQBIT_PASSWORD, rqbitPassword == null ? "" : "********");
        m.put(READ_TIMEOUT, format(readTimeout));
        m.put(METADATA_TIMEOUT, format(metadataTimeout));
        m.put(CONNECT_TIMEOUT, format(connectTimeout));
        m.put(REFRESH_INTERVAL, format(refreshInterval));
        m.put(MAX_CONNECTIONS, Integer.toString(maxConnections));
        m.put(IDLE_CONNECTION_TIMEOUT, format(idleConnectionTimeout));
        m.put(READ_SLOTS, Integer.toString(readSlots));
        m.put(RING_SIZE, Integer.toString(ringSize));
        m.put(ALLOW_OTHER, Boolean.toString(allowOther));
        m.put(FUSE_OPTIONS, String.join(",", fuseOptions));
        return Collections.unmodifiableMap(m);
    }

    @Override
    public String toString()
    {
        return "EngineConfig" + describe();
    }

    static String format(final Duration d)
    {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    /**
     * Parses a duration: {@code 30s}, {@code 500ms}, {@code 2m}, or a bare number of seconds.
     */
    public static Duration parseDuration(final String key, final String text)
    {
        final String s = text.trim().toLowerCase(Locale.ROOT);
        try
        {
            if (s.endsWith("ms"))
            {
                return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2).trim()));
            }
            if (s.endsWith("s"))
            {
                return Duration.ofMillis(Math.round(Double.parseDouble(s.substring(0, s.length() - 1).trim()) * 1000));
            }
            if (s.endsWith("m"))
            {
                return Duration.ofMillis(Math.round(Double.parseDouble(s.substring(0, s.length() - 1).trim()) * 60_000));
            }
            return Duration.ofMillis(Math.round(Double.parseDouble(s) * 1000));
        }
        catch (final NumberFormatException ex)
        {
            throw new ConfigException(key + ": '" + text + "' is not a duration (examples: 30s, 500ms, 2m)");
        }
    }

    /**
     * Mutable builder; not thread-safe. {@link #conclude()} validates and freezes it.
     */
    public static final class Context
    {
        private URI rqbitUrl = URI.create("http://127.0.0.1:3030");
        private String rqbitUrlText;
        private String rqbitUser;
        private String rqbitPassword;
        private Duration readTimeout = Duration.ofSeconds(30);
        private Duration metadataTimeout = Duration.ofSeconds(3);
        private Duration connectTimeout = Duration.ofSeconds(2);
        private Duration refreshInterval = Duration.ofSeconds(5);
        private int maxConnections = 4;
        private Duration idleConnectionTimeout = Duration.ofSeconds(2);
        private int readSlots = 256;
        private int ringSize = 1024;
        private boolean allowOther;
        private final List<String> fuseOptions = new ArrayList<>();

        private Context()
        {
        }

        public Context rqbitUrl(final String url)
        {
            this.rqbitUrlText = url;
            return this;
        }

        public Context rqbitUser(final String user)
        {
            this.rqbitUser = user;
            return this;
        }

        public Context rqbitPassword(final String password)
        {
            this.rqbitPassword = password;
            return this;
        }

        public Context readTimeout(final Duration d)
        {
            this.readTimeout = d;
            return this;
        }

        public Context metadataTimeout(final Duration d)
        {
            this.metadataTimeout = d;
            return this;
        }

        public Context connectTimeout(final Duration d)
        {
            this.connectTimeout = d;
            return this;
        }

        public Context refreshInterval(final Duration d)
        {
            this.refreshInterval = d;
            return this;
        }

        public Context maxConnections(final int n)
        {
            this.maxConnections = n;
            return this;
        }

        public Context idleConnectionTimeout(final Duration d)
        {
            this.idleConnectionTimeout = d;
            return this;
        }

        public Context readSlots(final int n)
        {
            this.readSlots = n;
            return this;
        }

        public Context ringSize(final int n)
        {
            this.ringSize = n;
            return this;
        }

        public Context allowOther(final boolean b)
        {
            this.allowOther = b;
            return this;
        }

        public Context fuseOption(final String option)
        {
            for (final String o : option.split(","))
            {
                if (!o.isBlank())
                {
                    fuseOptions.add(o.trim());
                }
            }
            return this;
        }

        /**
         * Applies one {@code key=value} setting (from any source).
         *
         * @throws ConfigException for an unknown key or a value that does not parse.
         */
        public Context set(final String key, final String value)
        {
            final String v = value == null ? "" : value.trim();
            switch (key)
            {
                case RQBIT_URL -> rqbitUrl(v);
                case RQBIT_USER -> rqbitUser(v.isEmpty() ? null : v);
                case RQBIT_PASSWORD -> rqbitPassword(v.isEmpty() ? null : value);
                case READ_TIMEOUT -> readTimeout(parseDuration(key, v));
                case METADATA_TIMEOUT -> metadataTimeout(parseDuration(key, v));
                case CONNECT_TIMEOUT -> connectTimeout(parseDuration(key, v));
                case REFRESH_INTERVAL -> refreshInterval(parseDuration(key, v));
                case MAX_CONNECTIONS -> maxConnections(parseInt(key, v));
                case IDLE_CONNECTION_TIMEOUT -> idleConnectionTimeout(parseDuration(key, v));
                case READ_SLOTS -> readSlots(parseInt(key, v));
                case RING_SIZE -> ringSize(parseInt(key, v));
                case ALLOW_OTHER -> allowOther(parseBoolean(key, v));
                case FUSE_OPTIONS -> fuseOption(v);
                default -> throw new ConfigException("unknown setting '" + key + "' (known: " + String.join(", ", KEYS) + ")");
            }
            return this;
        }

        /**
         * Applies a config file of {@code key=value} lines (Java properties syntax, '#' comments).
         *
         * @throws ConfigException if the file cannot be read or holds an unknown key or a bad value.
         */
        public Context loadFile(final Path file)
        {
            final Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(file))
            {
                p.load(r);
            }
            catch (final IOException | IllegalArgumentException ex)
            {
                throw new ConfigException("cannot read config file " + file + ": " + ex.getMessage(), ex);
            }
            for (final String key : p.stringPropertyNames())
            {
                try
                {
                    set(key, p.getProperty(key));
                }
                catch (final ConfigException ex)
                {
                    throw new ConfigException(file + ": " + ex.getMessage(), ex);
                }
            }
            return this;
        }

        /**
         * Applies {@code FUSE_ENGINE_*} variables from an environment map (unknown ones are ignored).
         */
        public Context loadEnvironment(final Map<String, String> env)
        {
            for (final String key : KEYS)
            {
                final String name = envName(key);
                final String value = env.get(name);
                if (value != null)
                {
                    try
                    {
                        set(key, value);
                    }
                    catch (final ConfigException ex)
                    {
                        throw new ConfigException("environment " + name + ": " + ex.getMessage(), ex);
                    }
                }
            }
            return this;
        }

        /**
         * Validates every setting and freezes the result.
         *
         * @throws ConfigException naming the first invalid setting.
         */
        public EngineConfig conclude()
        {
            if (rqbitUrlText != null)
            {
                rqbitUrl = parseUrl(rqbitUrlText);
            }
            positive(READ_TIMEOUT, readTimeout);
            positive(METADATA_TIMEOUT, metadataTimeout);
            positive(CONNECT_TIMEOUT, connectTimeout);
            positive(REFRESH_INTERVAL, refreshInterval);
            positive(IDLE_CONNECTION_TIMEOUT, idleConnectionTimeout);
            if (readTimeout.compareTo(Duration.ofHours(1)) > 0)
            {
                throw new ConfigException(READ_TIMEOUT + " must be at most 1h (it bounds how long a reader can hang)");
            }
            if (maxConnections < 1 || maxConnections > 64)
            {
                throw new ConfigException(MAX_CONNECTIONS + " must be between 1 and 64 (rqbit tolerates few streams): " + maxConnections);
            }
            powerOfTwo(READ_SLOTS, readSlots, 1, 65536);
            powerOfTwo(RING_SIZE, ringSize, 1, 1 << 20);
            if ((rqbitUser == null) != (rqbitPassword == null))
            {
                throw new ConfigException(RQBIT_USER + " and " + RQBIT_PASSWORD + " go together: set both or neither");
            }
            for (final String o : fuseOptions)
            {
                if (o.contains(" ") || o.startsWith("-"))
                {
                    throw new ConfigException(FUSE_OPTIONS + ": '" + o + "' is not a FUSE mount option");
                }
            }
            return new EngineConfig(this);
        }

        private static URI parseUrl(final String text)
        {
            final URI uri;
            try
            {
                uri = new URI(text.trim());
            }
            catch (final URISyntaxException ex)
            {
                throw new ConfigException(RQBIT_URL + ": '" + text + "' is not a URL: " + ex.getMessage());
            }
            if (!"http".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null)
            {
                throw new ConfigException(RQBIT_URL + ": '" + text + "' must be an http:// URL with a host, e.g. http://127.0.0.1:3030");
            }
            if (uri.getQuery() != null || uri.getFragment() != null)
            {
                throw new ConfigException(RQBIT_URL + ": '" + text + "' must not have a query or fragment");
            }
            String s = uri.toString();
            while (s.endsWith("/"))
            {
                s = s.substring(0, s.length() - 1);
            }
            return URI.create(s);
        }

        private static void positive(final String key, final Duration d)
        {
            if (d == null || d.isZero() || d.isNegative())
            {
                throw new ConfigException(key + " must be positive: " + d);
            }
        }

        private static void powerOfTwo(final String key, final int n, final int min, final int max)
        {
            if (n < min || n > max || Integer.bitCount(n) != 1)
            {
                throw new ConfigException(key + " must be a power of two between " + min + " and " + max + ": " + n);
            }
        }

        private static int parseInt(final String key, final String v)
        {
            try
            {
                return Integer.parseInt(v);
            }
            catch (final NumberFormatException ex)
            {
                throw new ConfigException(key + ": '" + v + "' is not a whole number");
            }
        }

        private static boolean parseBoolean(final String key, final String v)
        {
            return switch (v.toLowerCase(Locale.ROOT))
            {
                case "true", "yes", "1", "on" -> true;
                case "false", "no", "0", "off" -> false;
                default -> throw new ConfigException(key + ": '" + v + "' is not true or false");
            };
        }
    }

    /**
     * @return the environment variable name of a key, e.g. {@code FUSE_ENGINE_READ_TIMEOUT}.
     */
    public static String envName(final String key)
    {
        return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('-', '_');
    }
}
