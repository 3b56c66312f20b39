package io.fuseengine.app;

import io.fuseengine.sim.RqbitSimMain;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code fuse-engine sim ...}: runs the rqbit-compatible backend alone (for benchmarks and manual tests). */
@Command(name = "sim",
    description = {"Run the rqbit-compatible test backend alone on 127.0.0.1 until SIGTERM.",
        "Options: --port N (3030) --version V7|V8|V9 --rate BYTES_PER_SECOND --sample [--huge] --dir PATH",
        "         --user U --password P"})
final class SimCommand implements Callable<Integer>
{
    @Unmatched
    List<String> args = new ArrayList<>();

    @Override
    public Integer call()
    {
        RqbitSimMain.main(args.toArray(new String[0]));
        return Main.EXIT_OK;
    }
}
