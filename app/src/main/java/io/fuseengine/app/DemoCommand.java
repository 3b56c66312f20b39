package io.fuseengine.app;

import io.fuseengine.core.config.EngineConfig;
import io.fuseengine.sim.RqbitSim;
import io.fuseengine.sim.SampleLibrary;
import io.fuseengine.sim.SimConfig;
import io.fuseengine.sim.SimTorrent;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code fuse-engine demo <mountpoint>}: starts the embedded rqbit-compatible backend with generated sample content
 * on loopback and mounts it, for trying fuse-engine where no rqbit runs.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {"Start the embedded rqbit-compatible backend with generated sample torrents and mount it at",
        "MOUNTPOINT; serve until Ctrl-C or SIGTERM. No rqbit needed."})
final class DemoCommand implements Callable<Integer>
{
    @Parameters(index = "0", paramLabel = "MOUNTPOINT", description = "An existing, empty directory.")
    Path mountPoint;

    @Option(names = "--port", paramLabel = "PORT", description = "Port of the embedded backend on 127.0.0.1 (default: any free port).")
    int port;

    @Option(names = "--rate", paramLabel = "BYTES_PER_SECOND",
        description = "Simulate a download at this rate: pieces arrive over time and reads of missing ones wait (default 0: complete).")
    long rate;

    @Option(names = "--huge", description = "Also add a generated 5 GiB file.")
    boolean huge;

    @Mixin
    ConfigOptions options = new ConfigOptions();

    @Override
    public Integer call()
    {
        final RqbitSim sim = RqbitSim.start(SimConfig.builder().port(port).downloadRateBytesPerSecond(rate).build());
        try
        {
            final List<SimTorrent> torrents = SampleLibrary.install(sim, huge);
            System.err.println("fuse-engine: demo backend on " + sim.baseUrl() + " serving " + torrents.size() + " torrents");
            final EngineConfig.Context context = options.toContext(System.getenv());
            context.rqbitUrl(sim.baseUrl());
            return EngineSession.runUntilSignalled(context.conclude(), mountPoint, null);
        }
        finally
        {
            sim.close();
        }
    }
}
