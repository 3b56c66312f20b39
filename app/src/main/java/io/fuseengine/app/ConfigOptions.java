package io.fuseengine.app;

import io.fuseengine.core.config.EngineConfig;
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

    @Option(names = "--allow-other", description = "Let other users read the mount (needs user_allow_other in /etc/fuse.conf when not root).")
    boolean allowOther;

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
        if (allowOther)
        {
            c.allowOther(true);
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
