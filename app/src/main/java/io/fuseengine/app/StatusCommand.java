package io.fuseengine.app;

import io.fuseengine.app.ops.PrometheusText;
import io.fuseengine.core.config.EngineConfig;
import io.fuseengine.core.meta.MetadataException;
import io.fuseengine.core.meta.TorrentDetails;
import io.fuseengine.core.meta.TorrentSummary;
import io.fuseengine.transport.RqbitHttpMetadata;
import io.fuseengine.transport.TorrentStats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.concurrent.Callable;

/**
 * {@code fuse-engine status}: every torrent's progress from rqbit, and the running engine's own figures from its
 * metrics endpoint if one answers at {@code metrics-addr}.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = {"Show rqbit's torrents and the running engine's figures.",
        "Per torrent: name, progress, download speed, peers and state (stats/v1). Then the mounted engine's",
        "cache hit rate, reads in flight and p99 read latency, read from its metrics endpoint at metrics-addr",
        "('engine not running' when nothing answers there).",
        "Exit codes: 0 shown, 1 rqbit could not be reached, 2 bad configuration."})
final class StatusCommand implements Callable<Integer>
{
    static final int NAME_WIDTH = 36;
    static final int BAR_WIDTH = 20;
    private static final Duration METRICS_TIMEOUT = Duration.ofSeconds(1);

    @Mixin
    ConfigOptions options = new ConfigOptions();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call()
    {
        final EngineConfig config = options.toConfig();
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        try (RqbitHttpMetadata rqbit = new RqbitHttpMetadata(config))
        {
            final List<TorrentSummary> torrents;
            try
            {
                torrents = rqbit.listTorrents();
            }
            catch (final MetadataException ex)
            {
                err.println("fuse-engine: cannot reach rqbit: " + ex.getMessage());
                engine(config, out);
                return Main.EXIT_FAILURE;
            }
            out.println("rqbit " + config.rqbitUrl() + ": " + torrents.size()
                + (torrents.size() == 1 ? " torrent" : " torrents"));
            if (!torrents.isEmpty())
            {
                out.println(String.format(Locale.ROOT, "%-" + NAME_WIDTH + "s %-" + (BAR_WIDTH + 2) + "s %6s %12s %5s  %s",
                    "NAME", "PROGRESS", "", "SPEED", "PEERS", "STATE"));
            }
            for (final TorrentSummary t : torrents)
            {
                out.println(row(t, rqbit));
            }
            engine(config, out);
            return Main.EXIT_OK;
        }
        finally
        {
            out.flush();
            err.flush();
        }
    }

    private static String row(final TorrentSummary t, final RqbitHttpMetadata rqbit)
    {
        String name = t.name();
        if (name == null)
        {
            try
            {
                final TorrentDetails d = rqbit.torrentDetails(t.infoHash());
                name = d.name();
            }
            catch (final MetadataException ex)
            {
                name = null;
            }
        }
        if (name == null)
        {
            name = t.infoHash();
        }
        try
        {
            final TorrentStats s = rqbit.stats(t.infoHash());
            final double fraction = s.totalBytes() > 0 ? (double)s.progressBytes() / s.totalBytes()
                : s.finished() ? 1 : 0;
            final String speed = s.live() ? String.format(Locale.ROOT, "%.2f MiB/s", s.downloadMibps()) : "-";
            final String peers = s.livePeers() < 0 ? "-" : Integer.toString(s.livePeers());
            final String state = s.finished() && s.live() ? "live, complete" : TorrentText.clean(s.state());
            return String.format(Locale.ROOT, "%s %s %5.1f%% %12s %5s  %s", TorrentText.fit(name, NAME_WIDTH),
                bar(fraction), fraction * 100, speed, peers, state);
        }
        catch (final MetadataException ex)
        {
            return TorrentText.fit(name, NAME_WIDTH) + " (no stats: " + ex.getMessage() + ")";
        }
    }

    /** @return {@code [#####-----]} of {@link #BAR_WIDTH} cells. */
    static String bar(final double fraction)
    {
        final double f = Math.max(0, Math.min(1, fraction));
        final int full = (int)Math.floor(f * BAR_WIDTH);
        return "[" + "#".repeat(full) + "-".repeat(BAR_WIDTH - full) + "]";
    }

    private static void engine(final EngineConfig config, final PrintWriter out)
    {
        if (config.metricsAddress() == null)
        {
            out.println("engine: unknown (metrics-addr=off, so a running engine cannot be asked)");
            return;
        }
        final String where = EngineConfig.formatAddress(config.metricsAddress());
        final PrometheusText m;
        try
        {
            m = PrometheusText.fetch(config.metricsAddress(), METRICS_TIMEOUT);
        }
        catch (final IOException | RuntimeException ex)
        {
            out.println("engine not running (no metrics endpoint answers at " + where + ")");
            return;
        }
        if (!m.has("fuse_engine_reads_total"))
        {
            out.println("engine not running (" + where + " answers, but not with fuse-engine metrics)");
            return;
        }
        out.println(engineLine(m, where));
    }

    /** @return the engine's figures in one line. */
    static String engineLine(final PrometheusText m, final String where)
    {
        final StringBuilder b = new StringBuilder("engine running (metrics at ").append(where).append("): ");
        b.append(fmt(m.sum("fuse_engine_torrents"))).append(" torrents mounted");
        final OptionalDouble hits = m.sum("fuse_engine_cache_hits_total");
        final OptionalDouble misses = m.sum("fuse_engine_cache_misses_total");
        if (hits.isPresent() && misses.isPresent())
        {
            final double lookups = hits.getAsDouble() + misses.getAsDouble();
            b.append(", cache hit rate ").append(lookups == 0 ? "n/a (no lookups yet)"
                : String.format(Locale.ROOT, "%.1f%%", 100 * hits.getAsDouble() / lookups));
        }
        else
        {
            b.append(", cache hit rate n/a (engine has no cache metrics)");
        }
        b.append(", reads in flight ").append(fmt(m.sum("fuse_engine_reads_in_flight")));
        final OptionalDouble count = m.sum("fuse_engine_read_latency_seconds_count");
        final OptionalDouble p99 = m.quantileFromBuckets("fuse_engine_read_latency_seconds", 0.99);
        b.append(", p99 read latency ").append(count.orElse(0) == 0 || p99.isEmpty() ? "n/a (no reads timed yet)"
            : String.format(Locale.ROOT, "%.1f ms", p99.getAsDouble() * 1000));
        b.append(String.format(Locale.ROOT, "; reads %s, errors %s, timeouts %s", fmt(m.sum("fuse_engine_reads_total")),
            fmt(m.sum("fuse_engine_read_errors_total")), fmt(m.sum("fuse_engine_read_timeouts_total"))));
        final OptionalDouble rss = m.sum("fuse_engine_process_resident_memory_bytes");
        if (rss.isPresent() && rss.getAsDouble() > 0)
        {
            b.append(String.format(Locale.ROOT, "; resident memory %.0f MiB", rss.getAsDouble() / (1 << 20)));
        }
        return b.toString();
    }

    private static String fmt(final OptionalDouble d)
    {
        return d.isPresent() ? String.format(Locale.ROOT, "%.0f", d.getAsDouble()) : "?";
    }
}
