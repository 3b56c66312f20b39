package io.fuseengine.transport.fuzz;

import io.fuseengine.core.config.ConfigException;
import io.fuseengine.core.config.EngineConfig;
import io.fuseengine.core.meta.MetadataException;
import io.fuseengine.core.read.ReadPipeline;
import io.fuseengine.core.read.StreamTarget;
import io.fuseengine.sim.FaultInjector.Fault;
import io.fuseengine.sim.FaultInjector.Target;
import io.fuseengine.sim.RqbitSim;
import io.fuseengine.sim.RqbitVersion;
import io.fuseengine.sim.SimConfig;
import io.fuseengine.sim.SimFile;
import io.fuseengine.sim.SimTorrent;
import io.fuseengine.sim.TorrentSpec;
import io.fuseengine.transport.NettyRangeTransport;
import io.fuseengine.transport.RqbitHttpMetadata;
import org.agrona.BufferUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The basic-auth password never shows up in log output or in exception messages, on any error path of the metadata
 * client and the stream transport (401, 5xx, malformed and truncated documents, resets, short bodies, timeouts,
 * daemon down), nor when a user puts credentials into the URL. Log output (slf4j-simple writes to System.err) is
 * captured for the whole test.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CredentialLoggingTest
{
    private static final String USER = "alice";
    private static final String PASSWORD = "Pa55-w0rd-never-logged";
    private static final String BASE64 = Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));

    static
    {
        // if the loggers are created after this point, the error paths' DEBUG lines are captured too
        System.setProperty("org.slf4j.simpleLogger.log.io.fuseengine", "debug");
    }

    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
    private PrintStream originalErr;
    private RqbitSim sim;
    private SimTorrent torrent;
    private final List<String> messages = new ArrayList<>();

    @BeforeEach
    void setUp()
    {
        originalErr = System.err;
        final OutputStream tee = new OutputStream()
        {
            @Override
            public void write(final int b)
            {
                synchronized (captured)
                {
                    captured.write(b);
                }
                originalErr.write(b);
            }

            @Override
            public void write(final byte[] b, final int off, final int len)
            {
                synchronized (captured)
                {
                    captured.write(b, off, len);
                }
                originalErr.write(b, off, len);
            }
        };
        System.setErr(new PrintStream(tee, true, StandardCharsets.UTF_8));
        sim = RqbitSim.start(SimConfig.builder().version(RqbitVersion.V9).basicAuth(USER, PASSWORD).port(0).build());
        torrent = sim.addTorrent(TorrentSpec.builder("secret-show").file(2L * 1024 * 1024, "video.bin").file(10, "x.nfo").build());
    }

    @AfterEach
    void tearDown()
    {
        System.setErr(originalErr);
        sim.close();
    }

    private String log()
    {
        synchronized (captured)
        {
            return captured.toString(StandardCharsets.UTF_8);
        }
    }

    private void assertNoSecretAnywhere()
    {
        final String all = log() + "\n" + String.join("\n", messages);
        assertThat(all).doesNotContain(PASSWORD).doesNotContain(BASE64);
    }

    /** Records the message of every exception in the chain. */
    private void record(final Throwable t)
    {
        for (Throwable c = t; c != null; c = c.getCause())
        {
            messages.add(c.toString());
        }
    }

    private void expectMetadataFailure(final ThrowingCall call)
    {
        try
        {
            call.run();
            messages.add("(call succeeded)");
        }
        catch (final MetadataException ex)
        {
            record(ex);
        }
        catch (final Exception ex)
        {
            throw new AssertionError("expected a MetadataException, got " + ex, ex);
        }
    }

    @FunctionalInterface
    private interface ThrowingCall
    {
        void run() throws Exception;
    }

    @Test
    void metadataErrorPathsNeverLogOrThrowThePassword()
    {
        final Duration t = Duration.ofMillis(700);
        final URI url = URI.create(sim.baseUrl());
        try (RqbitHttpMetadata good = new RqbitHttpMetadata(url, USER, PASSWORD, t, t);
             RqbitHttpMetadata wrong = new RqbitHttpMetadata(url, USER, "not-" + PASSWORD.substring(4), t, t))
        {
            messages.add(good.toString());
            expectMetadataFailure(wrong::listTorrents);
            for (final Fault f : new Fault[] {Fault.MALFORMED_JSON, Fault.TRUNCATED_JSON, Fault.STATUS_500, Fault.STATUS_503,
                Fault.STALL_BEFORE_HEADERS, Fault.STALL_AFTER_HEADERS})
            {
                sim.faults().inject(f, Target.METADATA, null, 3);
                expectMetadataFailure(good::listTorrents);
                expectMetadataFailure(() -> good.torrentDetails(torrent.infoHash()));
                expectMetadataFailure(() -> good.stats(torrent.infoHash()));
                sim.faults().clear();
            }
            expectMetadataFailure(() -> good.torrentDetails("ffffffffffffffffffffffffffffffffffffffff"));
            sim.stop();
            expectMetadataFailure(good::listTorrents);
        }
        assertThat(log()).as("log capture works").contains("invalid answer from rqbit");
        assertThat(messages).anyMatch(m -> m.contains("EACCES"));
        assertNoSecretAnywhere();
    }

    @Test
    void streamErrorPathsNeverLogThePassword()
    {
        final EngineConfig config = EngineConfig.context().rqbitUrl(sim.baseUrl()).rqbitUser(USER).rqbitPassword(PASSWORD)
            .readTimeout(Duration.ofSeconds(1)).connectTimeout(Duration.ofSeconds(1)).conclude();
        messages.add(config.toString());
        final SimFile file = torrent.files().get(0);
        final StreamTarget target = new StreamTarget(torrent.infoHash(), file.index(), file.length(), "secret-show/video.bin");
        final ByteBuffer buf = ByteBuffer.allocateDirect(64 * 1024);
        final List<Integer> results = new ArrayList<>();
        try (ReadPipeline pipeline = new ReadPipeline(16, 64, config.readTimeout().toNanos(), new NettyRangeTransport(config)))
        {
            results.add(pipeline.read(target, 0, 1000, BufferUtil.address(buf)));
            long offset = 64 * 1024;
            for (final Fault f : new Fault[] {Fault.STATUS_500, Fault.STATUS_503, Fault.RESET_MID_BODY, Fault.TRUNCATED_BODY,
                Fault.WRONG_CONTENT_RANGE, Fault.STALL_AFTER_HEADERS})
            {
                sim.faults().inject(f, Target.STREAMS, null, 1);
                results.add(pipeline.read(target, offset, 64 * 1024, BufferUtil.address(buf)));
                offset += 64 * 1024;
            }
            sim.stop();
            results.add(pipeline.read(target, offset, 1000, BufferUtil.address(buf)));
        }
        try (ReadPipeline unauthorised = new ReadPipeline(4, 16, Duration.ofSeconds(1).toNanos(), new NettyRangeTransport(
            EngineConfig.context().rqbitUrl(sim.baseUrl()).rqbitUser(USER).rqbitPassword("x" + PASSWORD).conclude())))
        {
            sim.restart();
            results.add(unauthorised.read(target, 0, 1000, BufferUtil.address(buf)));
        }
        assertThat(results.get(0)).as("authorised read").isEqualTo(1000);
        assertThat(results.subList(1, results.size())).as("every faulted read failed").allMatch(r -> r < 0);
        assertThat(log()).as("log capture works").contains("read failed");
        assertNoSecretAnywhere();
    }

    @Test
    void credentialsInsideTheUrlAreRefusedOrRedactedEverywhere()
    {
        final String url = "http://" + USER + ":" + PASSWORD + "@127.0.0.1:" + sim.port();
        try
        {
            final EngineConfig config = EngineConfig.context().rqbitUrl(url).conclude();
            messages.add(config.toString());
            messages.add(String.valueOf(config.describe()));
            try (RqbitHttpMetadata meta = new RqbitHttpMetadata(config))
            {
                messages.add(meta.toString());
                expectMetadataFailure(meta::listTorrents);
            }
        }
        catch (final ConfigException ex)
        {
            record(ex);
        }
        assertNoSecretAnywhere();
    }
}
