package io.fuseengine.app;

import io.fuseengine.core.config.EngineConfig;
import io.fuseengine.core.meta.MetadataException;
import io.fuseengine.transport.AddedTorrent;
import io.fuseengine.transport.RqbitHttpMetadata;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

/** {@code fuse-engine add <magnet|url|file.torrent|infohash>}: asks rqbit to add a torrent. */
@Command(name = "add", mixinStandardHelpOptions = true,
    description = {"Add a torrent to rqbit; print its id, info hash and name.",
        "Sends POST /torrents: a magnet link or info hash as text, a URL with is_url=true, a file as its bytes.",
        "A mounted engine shows it within one refresh interval.",
        "Exit codes: 0 added (or rqbit already had it), 1 rqbit refused or could not be reached,",
        "2 bad input (missing or unreadable file, not a .torrent)."},
    footer = {"", "Examples:",
        "  fuse-engine add 'magnet:?xt=urn:btih:dd8255ecdc7ca55fb0bbf81323d87062db1f6d1c'",
        "  fuse-engine add https://example.org/big-buck-bunny.torrent",
        "  fuse-engine add ~/Downloads/big-buck-bunny.torrent"})
final class AddCommand implements Callable<Integer>
{
    /** Largest .torrent file sent (real ones are at most a few MB even for 100k-file torrents). */
    static final long MAX_TORRENT_FILE_BYTES = 32L * 1024 * 1024;
    private static final Pattern INFO_HASH = Pattern.compile("[0-9a-fA-F]{40}");

    @Parameters(index = "0", paramLabel = "SOURCE",
        description = "A magnet link, an http(s) URL of a .torrent, a .torrent file, or a 40-hex info hash.")
    String source;

    @Option(names = "--add-timeout", paramLabel = "DURATION", defaultValue = "120s",
        description = "How long to wait for rqbit's answer (default ${DEFAULT-VALUE}; resolving a magnet can take a while).")
    String addTimeout;

    @Mixin
    ConfigOptions options = new ConfigOptions();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call()
    {
        final Duration timeout = EngineConfig.parseDuration("--add-timeout", addTimeout);
        if (timeout.isZero() || timeout.isNegative())
        {
            throw new UsageException("--add-timeout must be positive: " + addTimeout);
        }
        final Source s = classify(source);
        final EngineConfig config = options.toConfig();
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        try (RqbitHttpMetadata rqbit = new RqbitHttpMetadata(config))
        {
            final AddedTorrent added = rqbit.add(s.body, s.isUrl, timeout);
            out.println("added id=" + (added.id() < 0 ? "?" : Long.toString(added.id())) + " info_hash="
                + added.infoHash() + " name=" + (added.name() == null ? "(resolving)" : TorrentText.clean(added.name())));
            out.flush();
            return Main.EXIT_OK;
        }
        catch (final MetadataException ex)
        {
            err.println("fuse-engine: rqbit did not add " + s.what + ": " + ex.getMessage());
            err.flush();
            return Main.EXIT_FAILURE;
        }
    }

    /** What to send: the body and whether it is a URL, and how to name it in messages. */
    record Source(byte[] body, boolean isUrl, String what)
    {
    }

    /**
     * @throws UsageException for a path that is not a readable .torrent file.
     */
    static Source classify(final String source)
    {
        final String s = source.trim();
        final String lower = s.toLowerCase(Locale.ROOT);
        if (lower.startsWith("magnet:"))
        {
            return new Source(s.getBytes(StandardCharsets.UTF_8), false, "the magnet link");
        }
        if (lower.startsWith("http://") || lower.startsWith("https://"))
        {
            return new Source(s.getBytes(StandardCharsets.UTF_8), true, TorrentText.clean(s));
        }
        if (INFO_HASH.matcher(s).matches())
        {
            return new Source(("magnet:?xt=urn:btih:" + lower).getBytes(StandardCharsets.UTF_8), false,
                "info hash " + lower);
        }
        final Path file;
        try
        {
            file = Path.of(s);
        }
        catch (final InvalidPathException ex)
        {
            throw new UsageException("'" + TorrentText.clean(s) + "' is not a magnet link, an http(s) URL, an info hash"
                + " or a file name");
        }
        if (!Files.exists(file))
        {
            throw new UsageException("no such file: " + TorrentText.clean(s)
                + " (expected a magnet link, an http(s) URL, a 40-hex info hash or a .torrent file)");
        }
        if (!Files.isRegularFile(file))
        {
            throw new UsageException("not a regular file: " + TorrentText.clean(s));
        }
        try
        {
            if (Files.size(file) > MAX_TORRENT_FILE_BYTES)
            {
                throw new UsageException(TorrentText.clean(s) + " is larger than 32 MiB: not a .torrent file");
            }
            final byte[] bytes = Files.readAllBytes(file);
            if (bytes.length == 0 || bytes[0] != 'd')
            {
                throw new UsageException(TorrentText.clean(s) + " is not a .torrent file (no bencoded dictionary)");
            }
            return new Source(bytes, false, TorrentText.clean(file.getFileName().toString()));
        }
        catch (final IOException ex)
        {
            throw new UsageException("cannot read " + TorrentText.clean(s) + ": " + ex.getMessage());
        }
    }
}
