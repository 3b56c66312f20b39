package io.fuseengine.app.ops;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * A parsed Prometheus text exposition (what {@code /metrics} serves): samples by metric name and labels. Only what
 * {@code status} needs: no types, no timestamps, no escapes beyond {@code \"} in label values.
 * <p>
 * Immutable; any thread.
 */
public final class PrometheusText
{
    /** One sample line. */
    public record Sample(String name, Map<String, String> labels, double value)
    {
    }

    private final Map<String, List<Sample>> byName;

    private PrometheusText(final Map<String, List<Sample>> byName)
    {
        this.byName = byName;
    }

    /** Parses the text; lines that do not parse are skipped. */
    public static PrometheusText parse(final String text)
    {
        final Map<String, List<Sample>> m = new HashMap<>();
        for (final String raw : text.split("\n"))
        {
            final String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#"))
            {
                continue;
            }
            final Sample s = sample(line);
            if (s != null)
            {
                m.computeIfAbsent(s.name(), k -> new ArrayList<>()).add(s);
            }
        }
        return new PrometheusText(m);
    }

    /**
     * GETs {@code http://address/metrics}. A wildcard address (0.0.0.0, ::) is asked on loopback.
     *
     * @throws IOException unreachable, timed out, or not a 200.
     */
    public static PrometheusText fetch(final InetSocketAddress address, final Duration timeout) throws IOException
    {
        String host = address.getHostString();
        if ("0.0.0.0".equals(host))
        {
            host = "127.0.0.1";
        }
        else if ("::".equals(host) || "0:0:0:0:0:0:0:0".equals(host))
        {
            host = "::1";
        }
        final URI uri = URI.create("http://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":"
            + address.getPort() + MetricsServer.PATH);
        final HttpClient client = HttpClient.newBuilder().connectTimeout(timeout)
            .followRedirects(HttpClient.Redirect.NEVER).build();
        try
        {
            final HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri).timeout(timeout).GET().build(),
                HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200)
            {
                throw new IOException(uri + " answered HTTP " + r.statusCode());
            }
            return parse(r.body());
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", ex);
        }
    }

    /** @return true if any sample has this name. */
    public boolean has(final String name)
    {
        return byName.containsKey(name);
    }

    /** @return the samples of a name (empty if none). */
    public List<Sample> samples(final String name)
    {
        return byName.getOrDefault(name, Collections.emptyList());
    }

    /** @return the sum over every label set of a name, or empty if absent. */
    public OptionalDouble sum(final String name)
    {
        final List<Sample> l = byName.get(name);
        return l == null ? OptionalDouble.empty() : OptionalDouble.of(l.stream().mapToDouble(Sample::value).sum());
    }

    /** @return the value of the sample whose label {@code key} is {@code value}, or empty. */
    public OptionalDouble labelled(final String name, final String key, final String value)
    {
        for (final Sample s : samples(name))
        {
            final String v = s.labels().get(key);
            if (v != null && (v.equals(value) || sameNumber(v, value)))
            {
                return OptionalDouble.of(s.value());
            }
        }
        return OptionalDouble.empty();
    }

    /**
     * @return the upper bound (le) of the first histogram bucket holding {@code q} of the observations of
     * {@code <name>_bucket}, or empty if there is no such histogram or it is empty.
     */
    public OptionalDouble quantileFromBuckets(final String name, final double q)
    {
        final List<double[]> buckets = new ArrayList<>();
        for (final Sample s : samples(name + "_bucket"))
        {
            final String le = s.labels().get("le");
            if (le != null)
            {
                buckets.add(new double[] {"+Inf".equals(le) ? Double.POSITIVE_INFINITY : Double.parseDouble(le),
                    s.value()});
            }
        }
        if (buckets.isEmpty())
        {
            return OptionalDouble.empty();
        }
        buckets.sort((x, y) -> Double.compare(x[0], y[0]));
        final double total = buckets.get(buckets.size() - 1)[1];
        if (total <= 0)
        {
            return OptionalDouble.empty();
        }
        for (final double[] b : buckets)
        {
            if (b[1] >= q * total)
            {
                return OptionalDouble.of(b[0]);
            }
        }
        return OptionalDouble.empty();
    }

    private static boolean sameNumber(final String a, final String b)
    {
        try
        {
            return Double.parseDouble(a) == Double.parseDouble(b);
        }
        catch (final NumberFormatException ex)
        {
            return false;
        }
    }

    private static Sample sample(final String line)
    {
        try
        {
            final int brace = line.indexOf('{');
            final int space;
            final String name;
            final Map<String, String> labels = new HashMap<>();
            if (brace >= 0 && brace < line.indexOf(' '))
            {
                name = line.substring(0, brace);
                int i = brace + 1;
                while (line.charAt(i) != '}')
                {
                    final int eq = line.indexOf('=', i);
                    final String key = line.substring(i, eq).strip();
                    final StringBuilder v = new StringBuilder();
                    int j = eq + 2; // past ="
                    while (line.charAt(j) != '"')
                    {
                        if (line.charAt(j) == '\\')
                        {
                            j++;
                        }
                        v.append(line.charAt(j++));
                    }
                    labels.put(key, v.toString());
                    i = j + 1;
                    if (line.charAt(i) == ',')
                    {
                        i++;
                    }
                }
                space = i + 1;
            }
            else
            {
                space = line.indexOf(' ');
                name = line.substring(0, space);
            }
            final String[] rest = line.substring(space).strip().split("\\s+");
            final double value = switch (rest[0])
            {
                case "+Inf" -> Double.POSITIVE_INFINITY;
                case "-Inf" -> Double.NEGATIVE_INFINITY;
                case "NaN" -> Double.NaN;
                default -> Double.parseDouble(rest[0]);
            };
            return new Sample(name, Map.copyOf(labels), value);
        }
        catch (final RuntimeException ex)
        {
            return null;
        }
    }
}
