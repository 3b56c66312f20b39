package io.fuseengine.core.config;

import java.io.IOException;
import java.io.Reader;
import java.net.InetSocketAddress;
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
    public static final String ALLOW_REMOVE = "allow-remove";
    public static final String FUSE_OPTIONS = "fuse-options";
    public static final String CACHE_SIZE = "cache-size";
    public static final String CACHE_CHUNK_SIZE = "cache-chunk-size";
    public static final String CACHE_FILE = "cache-file";
    public static final String READ_AHEAD_MAX = "read-ahead-max";
    public static final String METRICS_ADDR = "metrics-addr";
    public static final String HEAP_SOFT_MAX = "heap-soft-max";
    public static final String NATIVE_TRIM_INTERVAL = "native-trim-interval";

    /** Where the Prometheus endpoint listens unless told otherwise (loopback only). */
    public static final String DEFAULT_METRICS_ADDR = "127.0.0.1:9464";

    /** Smallest and largest cache chunk: a chunk is fetched in one range request (read slots carry at most 16 MiB). */
    public static final int MIN_CACHE_CHUNK_SIZE = 64 * 1024;
    public static final int MAX_CACHE_CHUNK_SIZE = 16 * 1024 * 1024;
    public static final long MAX_CACHE_SIZE = 1L << 40;

    /** Every key, in the order {@code config --print} shows them. */
    public static final List<String> KEYS = List.of(
        RQBIT_URL, RQBIT_USER, RQBIT_PASSWORD, READ_TIMEOUT, METADATA_TIMEOUT, CONNECT_TIMEOUT, REFRESH_INTERVAL,
        MAX_CONNECTIONS, IDLE_CONNECTION_TIMEOUT, READ_SLOTS, RING_SIZE, ALLOW_OTHER, ALLOW_REMOVE,
        FUSE_OPTIONS, CACHE_SIZE, CACHE_CHUNK_SIZE, CACHE_FILE, READ_AHEAD_MAX, METRICS_ADDR, HEAP_SOFT_MAX,
        NATIVE_TRIM_INTERVAL);

    /** Smallest non-zero heap soft limit: below it the collector would run back to back. */
    public static final long MIN_HEAP_SOFT_MAX = 32L * 1024 * 1024;

    /** Native-heap trim interval bounds: a trim walks every malloc arena under its lock, so not more than once a second. */
    public static final Duration MIN_NATIVE_TRIM_INTERVAL = Duration.ofSeconds(1);
    public static final Duration MAX_NATIVE_TRIM_INTERVAL = Duration.ofHours(1);

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
    private final boolean allowRemove;
    private final List<String> fuseOptions;
    private final long cacheSize;
    private final int cacheChunkSize;
    private final Path cacheFile;
    private final long readAheadMax;
    private final long heapSoftMax;
    private final Duration nativeTrimInterval;
    private final InetSocketAddress metricsAddress;

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
        this.allowRemove = c.allowRemove;
        this.fuseOptions = List.copyOf(c.fuseOptions);
        this.cacheSize = c.cacheSize;
        this.cacheChunkSize = c.cacheChunkSize;
        this.cacheFile = c.cacheFile;
        this.readAheadMax = c.readAheadMax;
        this.heapSoftMax = c.heapSoftMax;
        this.nativeTrimInterval = c.nativeTrimInterval;
        this.metricsAddress = c.metricsAddress;
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

    /**
     * Whether {@code rmdir} of a torrent's top-level directory (or {@code unlink} of a single-file torrent at the
     * root) through the mount makes rqbit forget the torrent (its files stay on disk). Default true. When true the
     * mount cannot carry the kernel's {@code ro} flag (the kernel would refuse the removal itself); every other
     * write-like operation still answers EROFS.
     */
    public boolean allowRemove()
    {
        return allowRemove;
    }

    /** Extra FUSE options, as given to {@code -o}. */
    public List<String> fuseOptions()
    {
        return fuseOptions;
    }

    /**
     * Byte budget of the read-ahead chunk cache: the chunk map plus the reader's fetch staging buffers (resident chunk
     * bytes never exceed it; see {@code ReadAheadConfig.mapBudget} for the one exception, a budget too small to split).
     */
    public long cacheSize()
    {
        return cacheSize;
    }

    /** Bytes per cache chunk (a power of two): the unit of read-ahead and of one backend range request. */
    public int cacheChunkSize()
    {
        return cacheChunkSize;
    }

    /** File the chunk cache persists to, or null for a cache in memory only. */
    public Path cacheFile()
    {
        return cacheFile;
    }

    /** Largest read-ahead window of one sequential reader, in bytes (0: no read-ahead). */
    public long readAheadMax()
    {
        return readAheadMax;
    }

    /**
     * Java heap size the garbage collector should try to stay under (ZGC's {@code SoftMaxHeapSize}, set at start
     * unless given on the command line), in bytes; 0: leave the JVM's default (a quarter of RAM).
     */
    public long heapSoftMax()
    {
        return heapSoftMax;
    }

    /**
     * How long the mount must go without reads before the C heap's free memory is handed back to the OS (glibc
     * {@code malloc_trim}, through the JVM's {@code System.trim_native_heap}; under reads that never stop, every 12 such
     * intervals); {@link Duration#ZERO}: never.
     */
    public Duration nativeTrimInterval()
    {
        return nativeTrimInterval;
    }

    /**
     * Where the Prometheus metrics endpoint listens ({@code GET /metrics}), or null when it is off. The address is
     * unresolved (host name or IP literal as configured, e.g. {@code 127.0.0.1}, {@code [::1]}, {@code localhost});
     * port 0 means any free port.
     */
    public InetSocketAddress metricsAddress()
    {
        return metricsAddress;
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
        m.put(ALLOW_REMOVE, Boolean.toString(allowRemove));
        m.put(FUSE_OPTIONS, String.join(",", fuseOptions));
        m.put(CACHE_SIZE, formatSize(cacheSize));
        m.put(CACHE_CHUNK_SIZE, formatSize(cacheChunkSize));
        m.put(CACHE_FILE, cacheFile == null ? "" : cacheFile.toString());
        m.put(READ_AHEAD_MAX, formatSize(readAheadMax));
        m.put(METRICS_ADDR, formatAddress(metricsAddress));
        m.put(HEAP_SOFT_MAX, formatSize(heapSoftMax));
        m.put(NATIVE_TRIM_INTERVAL, format(nativeTrimInterval));
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
     * @return {@code host:port} ({@code [v6]:port} for an IPv6 literal), or {@code off} for null.
     */
    public static String formatAddress(final InetSocketAddress address)
    {
        if (address == null)
        {
            return "off";
        }
        final String host = address.getHostString();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    /**
     * Parses {@code host:port} ({@code [v6]:port} for IPv6), or {@code off} / {@code none} / {@code false} / empty
     * for null. Does no name lookup.
     *
     * @throws ConfigException naming the key if it does not parse.
     */
    public static InetSocketAddress parseAddress(final String key, final String text)
    {
        final String s = text == null ? "" : text.trim();
        final String lower = s.toLowerCase(Locale.ROOT);
        if (lower.isEmpty() || lower.equals("off") || lower.equals("none") || lower.equals("false"))
        {
            return null;
        }
        final String example = " (examples: 127.0.0.1:9464, [::1]:9464, off)";
        final int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1)
        {
            throw new ConfigException(key + ": '" + text + "' is not host:port" + example);
        }
        String host = s.substring(0, colon);
        final String portText = s.substring(colon + 1);
        if (host.startsWith("[") && host.endsWith("]"))
        {
            host = host.substring(1, host.length() - 1);
        }
        else if (host.indexOf(':') >= 0)
        {
            throw new ConfigException(key + ": '" + text + "': write an IPv6 address in brackets" + example);
        }
        if (host.isEmpty() || !host.matches("[A-Za-z0-9.:%_-]+"))
        {
            throw new ConfigException(key + ": '" + text + "' has no valid host" + example);
        }
        final int port;
        try
        {
            port = Integer.parseInt(portText);
        }
        catch (final NumberFormatException ex)
        {
            throw new ConfigException(key + ": '" + text + "' has no valid port" + example);
        }
        if (port < 0 || port > 65535)
        {
            throw new ConfigException(key + ": port " + port + " is outside 0-65535" + example);
        }
        return InetSocketAddress.createUnresolved(host, port);
    }

    static String formatSize(final long bytes)
    {
        if (bytes != 0 && bytes % (1L << 30) == 0)
        {
            return (bytes >> 30) + "GiB";
        }
        if (bytes != 0 && bytes % (1L << 20) == 0)
        {
            return (bytes >> 20) + "MiB";
        }
        if (bytes != 0 && bytes % (1L << 10) == 0)
        {
            return (bytes >> 10) + "KiB";
        }
        return Long.toString(bytes);
    }

    /**
     * Parses a byte size: a bare number of bytes, or a number with a binary unit {@code K}, {@code M}, {@code G},
     * {@code T} (also written {@code KiB}, {@code KB}, {@code k}...: all mean powers of 1024), e.g. {@code 512MiB}.
     */
    public static long parseSize(final String key, final String text)
    {
        String s = text.trim().toLowerCase(Locale.ROOT);
        if (s.endsWith("ib"))
        {
            s = s.substring(0, s.length() - 2);
        }
        else if (s.endsWith("b"))
        {
            s = s.substring(0, s.length() - 1);
        }
        int shift = 0;
        if (!s.isEmpty())
        {
            switch (s.charAt(s.length() - 1))
            {
                case 'k' -> shift = 10;
                case 'm' -> shift = 20;
                case 'g' -> shift = 30;
                case 't' -> shift = 40;
                default -> shift = -1;
            }
            if (shift >= 0)
            {
                s = s.substring(0, s.length() - 1).trim();
            }
            else
            {
                shift = 0;
            }
        }
        try
        {
            final long n = Long.parseLong(s);
            if (n < 0 || n > (Long.MAX_VALUE >> shift))
            {
                throw new NumberFormatException();
            }
            return n << shift;
        }
        catch (final NumberFormatException ex)
        {
            throw new ConfigException(key + ": '" + text + "' is not a byte size (examples: 512MiB, 4M, 65536)");
        }
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
        private boolean allowRemove = true;
        private final List<String> fuseOptions = new ArrayList<>();
        private long cacheSize = 512L * 1024 * 1024;
        private int cacheChunkSize = 4 * 1024 * 1024;
        private Path cacheFile;
        private long readAheadMax = 32L * 1024 * 1024;
        private long heapSoftMax = 128L * 1024 * 1024;
        private Duration nativeTrimInterval = Duration.ofSeconds(5);
        private InetSocketAddress metricsAddress = parseAddress(METRICS_ADDR, DEFAULT_METRICS_ADDR);

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

        /** @param b false: removal through the mount answers EROFS too (and the mount is {@code ro}). */
        public Context allowRemove(final boolean b)
        {
            this.allowRemove = b;
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

        public Context cacheSize(final long bytes)
        {
            this.cacheSize = bytes;
            return this;
        }

        public Context cacheChunkSize(final int bytes)
        {
            this.cacheChunkSize = bytes;
            return this;
        }

        /** @param file persisted cache file, or null for a cache in memory only. */
        public Context cacheFile(final Path file)
        {
            this.cacheFile = file;
            return this;
        }

        public Context readAheadMax(final long bytes)
        {
            this.readAheadMax = bytes;
            return this;
        }

        /** @param bytes heap soft limit (0: the JVM's default). */
        public Context heapSoftMax(final long bytes)
        {
            this.heapSoftMax = bytes;
            return this;
        }

        /** @param interval how often free C-heap memory is returned to the OS ({@link Duration#ZERO}: never). */
        public Context nativeTrimInterval(final Duration interval)
        {
            this.nativeTrimInterval = interval;
            return this;
        }

        /** @param address where the metrics endpoint listens (unresolved is fine), or null for no endpoint. */
        public Context metricsAddress(final InetSocketAddress address)
        {
            this.metricsAddress = address;
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
                case ALLOW_REMOVE -> allowRemove(parseBoolean(key, v));
                case FUSE_OPTIONS -> fuseOption(v);
                case CACHE_SIZE -> cacheSize(parseSize(key, v));
                case CACHE_CHUNK_SIZE -> cacheChunkSize(parseIntSize(key, v));
                case CACHE_FILE -> cacheFile(v.isEmpty() || v.equalsIgnoreCase("none") ? null : Path.of(v));
                case READ_AHEAD_MAX -> readAheadMax(parseSize(key, v));
                case METRICS_ADDR -> metricsAddress(parseAddress(key, v));
                case HEAP_SOFT_MAX -> heapSoftMax(parseSize(key, v));
                case NATIVE_TRIM_INTERVAL -> nativeTrimInterval(parseDuration(key, v));
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
            validateCache();
            return new EngineConfig(this);
        }

        private void validateCache()
        {
            if (cacheChunkSize < MIN_CACHE_CHUNK_SIZE || cacheChunkSize > MAX_CACHE_CHUNK_SIZE
                || Integer.bitCount(cacheChunkSize) != 1)
            {
                throw new ConfigException(CACHE_CHUNK_SIZE + " must be a power of two between 64KiB and 16MiB: "
                    + formatSize(cacheChunkSize));
            }
            if (cacheSize < 2L * cacheChunkSize || cacheSize > MAX_CACHE_SIZE)
            {
                throw new ConfigException(CACHE_SIZE + " must be at least two chunks (" + CACHE_CHUNK_SIZE + " = "
                    + formatSize(cacheChunkSize) + ") and at most 1TiB: " + formatSize(cacheSize));
            }
            if (cacheSize / cacheChunkSize > (1 << 24))
            {
                throw new ConfigException(CACHE_SIZE + " / " + CACHE_CHUNK_SIZE + " must be at most 16M chunks: raise "
                    + CACHE_CHUNK_SIZE);
            }
            if (readAheadMax < 0 || readAheadMax > cacheSize / 2)
            {
                throw new ConfigException(READ_AHEAD_MAX + " must be between 0 and half of " + CACHE_SIZE + " ("
                    + formatSize(cacheSize / 2) + ") so read-ahead cannot evict itself: " + formatSize(readAheadMax));
            }
            if (heapSoftMax != 0 && (heapSoftMax < MIN_HEAP_SOFT_MAX || heapSoftMax > MAX_CACHE_SIZE))
            {
                throw new ConfigException(HEAP_SOFT_MAX + " must be 0 (the JVM's default) or between "
                    + formatSize(MIN_HEAP_SOFT_MAX) + " and 1TiB: " + formatSize(heapSoftMax));
            }
            if (!nativeTrimInterval.isZero() && (nativeTrimInterval.compareTo(MIN_NATIVE_TRIM_INTERVAL) < 0
                || nativeTrimInterval.compareTo(MAX_NATIVE_TRIM_INTERVAL) > 0))
            {
                throw new ConfigException(NATIVE_TRIM_INTERVAL + " must be 0 (never) or between "
                    + format(MIN_NATIVE_TRIM_INTERVAL) + " and " + format(MAX_NATIVE_TRIM_INTERVAL) + ": "
                    + format(nativeTrimInterval));
            }
            if (readAheadMax != 0 && readAheadMax < cacheChunkSize)
            {
                throw new ConfigException(READ_AHEAD_MAX + " must be 0 (off) or at least one chunk ("
                    + formatSize(cacheChunkSize) + "): " + formatSize(readAheadMax));
            }
            if (cacheFile != null && Files.isDirectory(cacheFile))
            {
                throw new ConfigException(CACHE_FILE + ": '" + cacheFile + "' is a directory; name a file in it");
            }
        }

        private static int parseIntSize(final String key, final String v)
        {
            final long n = parseSize(key, v);
            if (n > Integer.MAX_VALUE)
            {
                throw new ConfigException(key + ": '" + v + "' is too large");
            }
            return (int)n;
        }

        /** Drops a {@code user:password@} part from URL text, for messages. */
        private static String withoutUserInfo(final String text)
        {
            return text == null ? null : text.replaceAll("(?i)(^|[^a-z0-9+.-])([a-z][a-z0-9+.-]*://)[^/?#\\s]*@", "$1$2");
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
                throw new ConfigException(RQBIT_URL + ": '" + withoutUserInfo(text) + "' is not a URL: "
                    + withoutUserInfo(ex.getMessage()));
            }
            if (uri.getRawUserInfo() != null)
            {
                // the URL is shown by config --print and logged at mount: credentials in it would leak there
                throw new ConfigException(RQBIT_URL + ": '" + withoutUserInfo(text) + "' must not carry credentials; set "
                    + RQBIT_USER + " and " + RQBIT_PASSWORD + " (or --rqbit-password-env) instead");
            }
            if (!"http".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null)
            {
                throw new ConfigException(RQBIT_URL + ": '" + withoutUserInfo(text) + "' must be an http:// URL with a host, e.g. http://127.0.0.1:3030");
            }
            if (uri.getQuery() != null || uri.getFragment() != null)
            {
                throw new ConfigException(RQBIT_URL + ": '" + withoutUserInfo(text) + "' must not have a query or fragment");
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
