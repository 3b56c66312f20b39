package io.fuseengine.app;

import io.fuseengine.core.config.EngineConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code fuse-engine mount <mountpoint>}: mounts a running rqbit daemon's torrents. */
@Command(name = "mount", mixinStandardHelpOptions = true,
    description = {"Mount rqbit's torrents at MOUNTPOINT (read-only) and serve until Ctrl-C or SIGTERM.",
        "Each torrent is a directory (a single-file torrent is a file); reads stream from rqbit."})
final class MountCommand implements Callable<Integer>
{
    @Parameters(index = "0", paramLabel = "MOUNTPOINT", description = "An existing, empty directory.")
    Path mountPoint;

    @Mixin
    ConfigOptions options = new ConfigOptions();

    @Override
    public Integer call()
    {
        final EngineConfig config = options.toConfig();
        return EngineSession.runUntilSignalled(config, mountPoint, null);
    }
}
