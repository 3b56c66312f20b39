package io.fuseengine.app.ops;

import io.fuseengine.core.config.EngineConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MetricsServerTest
{
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void shouldListenOnLoopbackOnlyByDefault() throws Exception
    {
        final InetSocketAddress configured = EngineConfig.defaults().metricsAddress();
        try (MetricsServer server = MetricsServer.start(
            InetSocketAddress.createUnresolved(configured.getHostString(), 0), () -> "x_total 1\n"))
        {
            assertThat(server.address().getAddress().isLoopbackAddress()).isTrue();
            assertThat(server.address().getAddress().isAnyLocalAddress()).isFalse();
        }
    }

    @Test
    void shouldServePrometheusTextOnMetricsAndNothingElse() throws Exception
    {
        try (EngineMetrics metrics = new EngineMetrics();
             MetricsServer server = MetricsServer.start(new InetSocketAddress("127.0.0.1", 0), metrics::scrape))
        {
            final String base = "http://127.0.0.1:" + server.address().getPort();
            final HttpResponse<String> ok = get(base + "/metrics", "GET");
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.headers().firstValue("Content-Type")).hasValue(MetricsServer.CONTENT_TYPE);
            assertThat(ok.body()).contains("# TYPE fuse_engine_read_latency_seconds");

            assertThat(get(base + "/", "GET").statusCode()).isEqualTo(404);
            assertThat(get(base + "/metrics/x", "GET").statusCode()).isEqualTo(404);
            assertThat(get(base + "/metrics", "POST").statusCode()).isEqualTo(405);
        }
    }

    @Test
    void shouldFailToStartOnAPortInUse() throws Exception
    {
        try (MetricsServer first = MetricsServer.start(new InetSocketAddress("127.0.0.1", 0), () -> ""))
        {
            assertThatThrownBy(() -> MetricsServer.start(first.address(), () -> ""))
                .isInstanceOf(java.io.IOException.class);
        }
    }

    @Test
    void shouldExposeReadLatencyPercentilesThatStatusReads()
    {
        try (EngineMetrics metrics = new EngineMetrics())
        {
            for (int i = 0; i < 98; i++)
            {
                metrics.recordRead(TimeUnit.MILLISECONDS.toNanos(1));
            }
            metrics.recordRead(TimeUnit.MILLISECONDS.toNanos(200));
            metrics.recordRead(TimeUnit.MILLISECONDS.toNanos(200));

            final PrometheusText text = PrometheusText.parse(metrics.scrape());

            assertThat(text.sum("fuse_engine_read_latency_seconds_count")).hasValue(100);
            assertThat(text.labelled("fuse_engine_read_latency_seconds", "quantile", "0.99"))
                .as("no client-side summary: quantiles come from the buckets").isEmpty();
            final double p99 = text.quantileFromBuckets("fuse_engine_read_latency_seconds", 0.99).orElse(-1);
            assertThat(p99).isBetween(0.1, 0.3);
        }
    }

    private static HttpResponse<String> get(final String url, final String method) throws Exception
    {
        return CLIENT.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5))
            .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }
}
