package io.fuseengine.app;

import io.fuseengine.core.config.EngineConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Map;
import java.util.concurrent.Callable;

/** {@code fuse-engine config --print}: shows the effective settings (password masked). */
@Command(name = "config", description = "Validate the configuration and show the effective settings.")
final class ConfigCommand implements Callable<Integer>
{
    @Mixin
    ConfigOptions options = new ConfigOptions();

    @Option(names = "--print", description = "Print every setting as key=value (the config-file format).")
    boolean print;

    @Override
    public Integer call()
    {
        final EngineConfig config = options.toConfig();
        if (print)
        {
            for (final Map.Entry<String, String> e : config.describe().entrySet())
            {
                System.out.println(e.getKey() + "=" + e.getValue());
            }
        }
        else
        {
            System.out.println("configuration is valid (use --print to show it)");
        }
        return Main.EXIT_OK;
    }
}
