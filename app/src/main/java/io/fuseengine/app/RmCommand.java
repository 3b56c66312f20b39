package io.fuseengine.app;

import io.fuseengine.core.meta.MetadataException;
import io.fuseengine.core.meta.TorrentDetails;
import io.fuseengine.core.meta.TorrentSummary;
import io.fuseengine.transport.RqbitHttpMetadata;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code fuse-engine rm <name|id|infohash>}: makes rqbit forget a torrent, keeping its files. */
@Command(name = "rm", mixinStandardHelpOptions = true,
    description = {"Make rqbit forget a torrent; its downloaded files stay on disk.",
        "Sends POST /torrents/{info_hash}/forget; a mounted engine drops the directory at its next refresh.",
        "TORRENT is an info hash, rqbit's numeric id, or the exact torrent name (as 'status' shows it).",
        "Exit codes: 0 forgotten, 1 no such torrent or rqbit failed, 2 the name matches several torrents",
        "(they are listed: name one by id or info hash)."})
final class RmCommand implements Callable<Integer>
{
    @Parameters(index = "0", paramLabel = "TORRENT", description = "Name, id or info hash of the torrent.")
    String torrent;

    @Mixin
    ConfigOptions options = new ConfigOptions();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call()
    {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        try (RqbitHttpMetadata rqbit = new RqbitHttpMetadata(options.toConfig()))
        {
            final List<TorrentSummary> all;
            try
            {
                all = rqbit.listTorrents();
            }
            catch (final MetadataException ex)
            {
                err.println("fuse-engine: cannot list rqbit's torrents: " + ex.getMessage());
                return Main.EXIT_FAILURE;
            }
            final List<Named> matches = resolve(torrent, all, rqbit);
            if (matches.isEmpty())
            {
                err.println("fuse-engine: no torrent has the info hash, id or name '" + TorrentText.clean(torrent)
                    + "' ('fuse-engine status' lists them)");
                return Main.EXIT_FAILURE;
            }
            if (matches.size() > 1)
            {
                err.println("fuse-engine: '" + TorrentText.clean(torrent) + "' matches " + matches.size()
                    + " torrents; name one by id or info hash:");
                for (final Named n : matches)
                {
                    err.println("  " + n.describe());
                }
                return Main.EXIT_USAGE;
            }
            final Named target = matches.get(0);
            try
            {
                if (!rqbit.forget(target.summary.infoHash()))
                {
                    err.println("fuse-engine: rqbit no longer knows " + target.describe());
                    return Main.EXIT_FAILURE;
                }
            }
            catch (final MetadataException ex)
            {
                err.println("fuse-engine: rqbit did not forget " + target.describe() + ": " + ex.getMessage());
                return Main.EXIT_FAILURE;
            }
            out.println("forgot " + target.describe() + "; its files stay on disk");
            return Main.EXIT_OK;
        }
        finally
        {
            out.flush();
            err.flush();
        }
    }

    /** A torrent and the name it is known by (from the list, else from its details for rqbit 7). */
    record Named(TorrentSummary summary, String name)
    {
        String describe()
        {
            return "'" + TorrentText.clean(name) + "' (id " + (summary.id() < 0 ? "?" : summary.id()) + ", info hash "
                + summary.infoHash() + ")";
        }
    }

    /**
     * @return every torrent the argument designates: the one with that info hash; else all with that id or that
     * exact name (case-insensitive names only when no exact one exists).
     */
    static List<Named> resolve(final String arg, final List<TorrentSummary> all, final RqbitHttpMetadata rqbit)
    {
        final String a = arg.trim();
        for (final TorrentSummary t : all)
        {
            if (t.infoHash().equals(a.toLowerCase(Locale.ROOT)))
            {
                return List.of(new Named(t, t.name() != null ? t.name() : nameFromDetails(t, rqbit)));
            }
        }
        final Map<String, Named> byHash = new LinkedHashMap<>();
        for (final TorrentSummary t : all)
        {
            // rqbit 7 lists no names: ask for the details of those
            byHash.put(t.infoHash(), new Named(t, t.name() != null ? t.name() : nameFromDetails(t, rqbit)));
        }
        final Map<String, Named> found = new LinkedHashMap<>();
        if (a.matches("\\d{1,18}"))
        {
            final long id = Long.parseLong(a);
            byHash.values().stream().filter(n -> n.summary.id() == id).forEach(n -> found.put(n.summary.infoHash(), n));
        }
        final List<Named> exact = new ArrayList<>();
        final List<Named> ignoringCase = new ArrayList<>();
        for (final Named n : byHash.values())
        {
            if (n.name == null)
            {
                continue;
            }
            if (n.name.equals(arg) || n.name.equals(a))
            {
                exact.add(n);
            }
            else if (n.name.equalsIgnoreCase(a))
            {
                ignoringCase.add(n);
            }
        }
        for (final Named n : exact.isEmpty() ? ignoringCase : exact)
        {
            found.put(n.summary.infoHash(), n);
        }
        return new ArrayList<>(found.values());
    }

    private static String nameFromDetails(final TorrentSummary t, final RqbitHttpMetadata rqbit)
    {
        try
        {
            final TorrentDetails d = rqbit.torrentDetails(t.infoHash());
            return d.name();
        }
        catch (final MetadataException ex)
        {
            return null;
        }
    }
}
