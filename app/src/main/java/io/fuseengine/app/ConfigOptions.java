package io.fuseengine.app;

import io.fuseengine.core.config.EngineConfig;
import io.fuseengine.fuse.mount.FuseMount;
import io.fuseengine.fuse.mount.KernelReadAhead;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The settings every engine command shares, as flags; {@link #toConfig} merges them over the config file and the
 * environment and validates the result.
 */
final class ConfigOptions
{
    @Option(names = "--config", paramLabel = "FILE",
        description = "Config file (key=value lines). Default: $XDG_CONFIG_HOME/fuse-engine/fuse-engine.conf if it exists.")
    Path configFile;

    @Option(names = "--rqbit-url", paramLabel = "URL", description = "rqbit's HTTP API (default http://127.0.0.1:3030).")
    String rqbitUrl;

    @Option(names = "--rqbit-user", paramLabel = "USER", description = "Basic-auth user, if rqbit asks for one.")
    String rqbitUser;

    @Option(names = "--rqbit-password-env", paramLabel = "VAR",
        description = "Name of an environment variable holding the basic-auth password (never pass it as a flag).")
    String rqbitPasswordEnv;

    @Option(names = "--read-timeout", paramLabel = "DURATION",
        description = "Deadline of every read (default 30s); a read that misses it fails with ETIMEDOUT.")
    String readTimeout;

    @Option(names = "--metadata-timeout", paramLabel = "DURATION",
        description = "Deadline of every metadata request (default 3s).")
    String metadataTimeout;

    @Option(names = "--refresh-interval", paramLabel = "DURATION",
        description = "How often the torrent list is refreshed (default 5s).")
    String refreshInterval;

    @Option(names = "--max-connections", paramLabel = "N",
        description = "Cap on stream connections to rqbit (default 4; rqbit tolerates few open streams).")
    Integer maxConnections;

    @Option(names = "--cache-size", paramLabel = "SIZE",
        description = "Byte budget of the read-ahead chunk cache, fetch buffers included, e.g. 512MiB, 4GiB (default 512MiB).")
    String cacheSize;

    @Option(names = "--cache-chunk-size", paramLabel = "SIZE",
        description = "Cache chunk: the unit of read-ahead and of one range request to rqbit; a power of two, 64KiB..16MiB (default 4MiB).")
    String cacheChunkSize;

    @Option(names = "--cache-file", paramLabel = "FILE",
        description = "Persist the chunk cache to FILE (reused across restarts); 'none' (the default) keeps it in memory.")
    String cacheFile;

    @Option(names = "--read-ahead-max", paramLabel = "SIZE",
        description = "Largest read-ahead window of one sequential reader (default 32MiB; 0 turns read-ahead off).")
    String readAheadMax;

    @Option(names = "--raise-read-ahead-kb", paramLabel = "N",
        description = "As root: set the mount's kernel read_ahead_kb to N after mounting (default 4096, which lets the kernel "
            + "send 1 MiB reads; 0 leaves the kernel's 128 KiB). Same as -o x-fuse-engine.read-ahead-kb=N.")
    Integer raiseReadAheadKb;

    @Option(names = "--allow-other", description = "Let other users read the mount (needs user_allow_other in /etc/fuse.conf when not root).")
    boolean allowOther;

    @Option(names = "--no-remove",
        description = "Refuse rmdir/unlink of a torrent through the mount (EROFS) and mount with the kernel's ro flag. "
            + "By default removing a torrent's top-level entry makes rqbit forget it, keeping its files (allow-remove=true).")
    boolean noRemove;

    @Option(names = "--metrics-addr", paramLabel = "HOST:PORT",
        description = "Where the Prometheus endpoint (/metrics) listens, or 'off' (default 127.0.0.1:9464).")
    String metricsAddr;

    @Option(names = "-o", paramLabel = "OPTIONS", description = "Extra FUSE mount options, comma-separated (repeatable).")
    List<String> fuseOptions = new ArrayList<>();

    EngineConfig toConfig()
    {
        return toContext(System.getenv()).conclude();
    }

    EngineConfig.Context toContext(final Map<String, String> env)
    {
        final EngineConfig.Context c = EngineConfig.context();
        final Path file = configFile != null ? configFile : defaultConfigFile(env);
        if (file != null)
        {
            c.loadFile(file);
        }
        c.loadEnvironment(env);
        if (rqbitUrl != null)
        {
            c.rqbitUrl(rqbitUrl);
        }
        if (rqbitUser != null)
        {
            c.rqbitUser(rqbitUser);
        }
        if (rqbitPasswordEnv != null)
        {
            final String password = env.get(rqbitPasswordEnv);
            if (password == null)
            {
                throw new io.fuseengine.core.config.ConfigException(
                    "--rqbit-password-env: environment variable " + rqbitPasswordEnv + " is not set");
            }
            c.rqbitPassword(password);
        }
        if (readTimeout != null)
        {
            c.set(EngineConfig.READ_TIMEOUT, readTimeout);
        }
        if (metadataTimeout != null)
        {
            c.set(EngineConfig.METADATA_TIMEOUT, metadataTimeout);
        }
        if (refreshInterval != null)
        {
            c.set(EngineConfig.REFRESH_INTERVAL, refreshInterval);
        }
        if (maxConnections != null)
        {
            c.maxConnections(maxConnections);
        }
        if (cacheSize != null)
        {
            c.set(EngineConfig.CACHE_SIZE, cacheSize);
        }
        if (cacheChunkSize != null)
        {
            c.set(EngineConfig.CACHE_CHUNK_SIZE, cacheChunkSize);
        }
        if (cacheFile != null)
        {
            c.set(EngineConfig.CACHE_FILE, cacheFile);
        }
        if (readAheadMax != null)
        {
            c.set(EngineConfig.READ_AHEAD_MAX, readAheadMax);
        }
        if (raiseReadAheadKb != null)
        {
            if (raiseReadAheadKb < 0 || raiseReadAheadKb > KernelReadAhead.MAX_KB)
            {
                throw new io.fuseengine.core.config.ConfigException(
                    "--raise-read-ahead-kb must be in [0, " + KernelReadAhead.MAX_KB + "]: " + raiseReadAheadKb);
            }
            c.fuseOption(FuseMount.READ_AHEAD_KB_OPTION + "=" + raiseReadAheadKb); // 0 too: it overrides the default
        }
        if (allowOther)
        {
            c.allowOther(true);
        }
        if (noRemove)
        {
            c.allowRemove(false);
        }
        if (metricsAddr != null)
        {
            c.set(EngineConfig.METRICS_ADDR, metricsAddr);
        }
        for (final String o : fuseOptions)
        {
            c.fuseOption(o);
        }
        return c;
    }

    private static Path defaultConfigFile(final Map<String, String> env)
    {
        final String xdg = env.get("XDG_CONFIG_HOME");
        final Path base = xdg != null && !xdg.isBlank()
            ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".config");
        final Path file = base.resolve("fuse-engine").resolve("fuse-engine.conf");
        return Files.isRegularFile(file) ? file : null;
    }
}
