package io.fuseengine.app;

import io.fuseengine.core.config.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code fuse-engine}: the command line. Exit codes: 0 success (also after Ctrl-C / SIGTERM), 1 runtime failure,
 * 2 bad usage or configuration.
 */
@Command(
    name = "fuse-engine",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = {
        "Mounts the torrents of an rqbit daemon as a read-only filesystem, so players and media servers",
        "can stream files while they download. Every read has a deadline; nothing hangs a caller."},
    subcommands = {
        MountCommand.class,
        DemoCommand.class,
        SimCommand.class,
        ConfigCommand.class,
        AddCommand.class,
        RmCommand.class,
        StatusCommand.class,
        CommandLine.HelpCommand.class},
    footer = {
        "",
        "Settings come from a config file (--config, else $XDG_CONFIG_HOME/fuse-engine/fuse-engine.conf),",
        "then FUSE_ENGINE_* environment variables, then flags; 'fuse-engine config --print' shows the result.",
        "Example: fuse-engine mount ~/torrents --rqbit-url http://127.0.0.1:3030"})
public final class Main
{
    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILURE = 1;
    public static final int EXIT_USAGE = 2;

    private Main()
    {
    }

    public static void main(final String[] args)
    {
        if (!java.nio.charset.StandardCharsets.UTF_8.equals(java.nio.charset.Charset.defaultCharset()))
        {
            System.err.println("fuse-engine: warning: the JVM's default charset is " + java.nio.charset.Charset.defaultCharset()
                + ", not UTF-8: names with non-ASCII characters will not resolve in the mount. Run with LANG=C.UTF-8"
                + " (or java -Dfile.encoding=UTF-8 -jar ...).");
        }
        System.exit(run(args));
    }

    /**
     * Runs the command line without exiting (for tests).
     *
     * @return the exit code.
     */
    public static int run(final String... args)
    {
        return run(null, null, args);
    }

    /**
     * Runs the command line without exiting, writing to the given streams (for tests; null: stdout / stderr).
     *
     * @return the exit code.
     */
    public static int run(final java.io.PrintWriter out, final java.io.PrintWriter err, final String... args)
    {
        final CommandLine cli = new CommandLine(new Main());
        if (out != null)
        {
            cli.setOut(out);
        }
        if (err != null)
        {
            cli.setErr(err);
        }
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) ->
        {
            if (ex instanceof ConfigException)
            {
                commandLine.getErr().println("fuse-engine: configuration error: " + ex.getMessage());
                return EXIT_USAGE;
            }
            if (ex instanceof UsageException)
            {
                commandLine.getErr().println("fuse-engine: " + ex.getMessage());
                return EXIT_USAGE;
            }
            commandLine.getErr().println("fuse-engine: " + ex.getMessage());
            org.slf4j.LoggerFactory.getLogger(Main.class).debug("failure", ex);
            return EXIT_FAILURE;
        });
        cli.setParameterExceptionHandler((ex, a) ->
        {
            ex.getCommandLine().getErr().println("fuse-engine: " + ex.getMessage());
            ex.getCommandLine().getErr().println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
            return EXIT_USAGE;
        });
        return cli.execute(args);
    }
}
