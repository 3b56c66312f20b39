package io.fuseengine.transport;

import io.fuseengine.core.errno.Errno;
import io.fuseengine.core.read.StreamTarget;
import io.fuseengine.sim.FaultInjector.Fault;
import io.fuseengine.sim.FaultInjector.Target;
import io.fuseengine.sim.FaultRule;
import io.fuseengine.sim.RqbitSim;
import io.fuseengine.sim.RqbitVersion;
import io.fuseengine.sim.SimConfig;
import io.fuseengine.sim.SimFile;
import io.fuseengine.sim.SimTorrent;
import io.fuseengine.sim.TorrentSpec;
import org.agrona.BufferUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.fuseengine.transport.TransportHarness.assertBytes;
import static io.fuseengine.transport.TransportHarness.eventually;
import static io.fuseengine.transport.TransportHarness.target;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every way rqbit can fail a stream maps to the errno of the seed table, closes what must be closed, and leaves the
 * pipeline able to serve the next read with the right bytes.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NettyRangeTransportFaultTest
{
    private static final Duration READ_TIMEOUT = Duration.ofMillis(1500);
    private static final int LENGTH = 64 * 1024;

    private RqbitSim sim;
    private SimTorrent torrent;
    private SimFile file;
    private StreamTarget target;
    private TransportHarness h;

    @BeforeEach
    void setUp()
    {
        sim = RqbitSim.start(SimConfig.builder().version(RqbitVersion.V9).downloadRateBytesPerSecond(0).port(0).build());
        torrent = sim.addTorrent(TorrentSpec.builder("faulty").file(4 * 1024 * 1024, "f.bin").build());
        file = torrent.files().get(0);
        target = target(torrent, file);
        h = new TransportHarness(sim, c -> c.readTimeout(READ_TIMEOUT));
    }

    @AfterEach
    void tearDown()
    {
        if (h != null)
        {
            h.close();
        }
        sim.close();
    }

    @ParameterizedTest
    @EnumSource(value = Fault.class, names = {"STALL_AFTER_HEADERS", "STALL_BEFORE_HEADERS"})
    void shouldReturnEtimedoutWhenBackendStallsAndCloseTheStream(final Fault fault)
    {
        sim.faults().inject(fault, Target.STREAMS, torrent.infoHash(), 1);

        final TransportHarness.Result r = h.read(target, 1000, LENGTH);

        assertThat(r.result()).isEqualTo(-Errno.ETIMEDOUT);
        assertThat(r.nanos()).isLessThan(READ_TIMEOUT.plusSeconds(1).toNanos());
        assertThat(eventually(Duration.ofSeconds(3), () -> h.transport.timeouts() == 1)).isTrue();
        assertThat(eventually(Duration.ofSeconds(3), () -> sim.stats().openStreams() == 0))
            .as("stream closed after the timeout").isTrue();
        assertThat(eventually(Duration.ofSeconds(3), () -> sim.stats().openConnections() == 0))
            .as("sim saw the connection closed").isTrue();
        assertThat(h.transport.openConnections()).isZero();
        assertNextReadWorks();
    }

    @Test
    void shouldNeverWriteIntoTheBufferOfAReadThatTimedOut()
    {
        sim.faults().slowDripBytesPerSecond(8 * 1024);
        sim.faults().inject(Fault.SLOW_DRIP, Target.STREAMS, torrent.infoHash(), 1);
        final ByteBuffer buffer = ByteBuffer.allocateDirect(LENGTH);

        final int n = h.pipeline.read(target, 0, LENGTH, BufferUtil.address(buffer));
        final byte[] atReturn = new byte[LENGTH];
        buffer.get(0, atReturn);

        assertThat(n).isEqualTo(-Errno.ETIMEDOUT);
        assertThat(eventually(Duration.ofSeconds(3), () -> sim.stats().openStreams() == 0)).isTrue();
        final long streamed = sim.stats().streamBytesServed();
        assertThat(streamed).as("some bytes dripped in before the deadline").isPositive();
        final byte[] later = new byte[LENGTH];
        buffer.get(0, later);
        assertThat(later).as("buffer untouched after the read returned").isEqualTo(atReturn);
        assertNextReadWorks();
    }

    @ParameterizedTest
    @EnumSource(value = Fault.class, names = {"RESET_MID_BODY", "TRUNCATED_BODY", "STATUS_500", "STATUS_503",
        "WRONG_CONTENT_RANGE"})
    void shouldReturnEioWhenStreamFails(final Fault fault)
    {
        final FaultRule rule = sim.faults().inject(fault, Target.STREAMS, torrent.infoHash(), 1);

        final TransportHarness.Result r = h.read(target, 8192, LENGTH);

        assertThat(r.result()).isEqualTo(-Errno.EIO);
        assertThat(r.nanos()).as("fails fast, not at the deadline").isLessThan(READ_TIMEOUT.toNanos());
        assertThat(rule.hits()).isEqualTo(1);
        assertThat(h.transport.errors(Errno.EIO)).isEqualTo(1);
        assertNextReadWorks();
    }

    @Test
    void shouldReturnEnoentForUnknownInfoHash()
    {
        final StreamTarget unknown = new StreamTarget("0123456789abcdef0123456789abcdef01234567", 0, 1000, "ghost");
        assertThat(h.read(unknown, 0, 100).result()).isEqualTo(-Errno.ENOENT);
        assertNextReadWorks(); // the 404 left the keep-alive connection usable
    }

    @Test
    void shouldReturnEinvalWhenRangeIsUnsatisfiable()
    {
        // metadata claims a longer file than rqbit has: the pipeline cannot clamp, rqbit answers 416
        final StreamTarget tooLong = new StreamTarget(torrent.infoHash(), 0, file.length() + 10_000, "stale length");
        assertThat(h.read(tooLong, file.length() + 10, 100).result()).isEqualTo(-Errno.EINVAL);
        assertNextReadWorks();
    }

    @Test
    void shouldReturnEnoentForForgottenTorrent()
    {
        assertNextReadWorks();
        sim.forget(torrent.infoHash());
        assertThat(h.read(target, 0, 100).result()).isEqualTo(-Errno.ENOENT);
    }

    @Test
    void shouldRetryWhileDaemonIsInitializingAndThenReturnTheBytes()
    {
        final FaultRule rule = sim.faults().inject(Fault.INITIALIZING, Target.STREAMS, torrent.infoHash(), 3);

        final TransportHarness.Result r = h.read(target, 4096, LENGTH);

        assertThat(r.result()).isEqualTo(LENGTH);
        assertBytes(file, 4096, r);
        assertThat(rule.hits()).isEqualTo(3);
        assertThat(h.transport.requestsSent()).isEqualTo(4);
    }

    @Test
    void shouldReturnEtimedoutWhenDaemonStaysInitializingPastTheDeadline()
    {
        sim.faults().inject(Fault.INITIALIZING, Target.STREAMS, torrent.infoHash(), -1);
        final TransportHarness.Result r = h.read(target, 0, 100);
        assertThat(r.result()).isEqualTo(-Errno.ETIMEDOUT);
        assertThat(r.nanos()).isLessThan(READ_TIMEOUT.plusSeconds(1).toNanos());
    }

    @Test
    void shouldReturnEioQuicklyWhenDaemonIsDownAndRecoverWhenItIsBack()
    {
        assertNextReadWorks(); // leaves an idle keep-alive connection that the stop kills
        sim.stop();

        final TransportHarness.Result r = h.read(target, 0, 100);
        assertThat(r.result()).isEqualTo(-Errno.EIO);
        assertThat(r.nanos()).as("connection refused is not a timeout").isLessThan(READ_TIMEOUT.toNanos() / 2);

        sim.restart();
        assertNextReadWorks();
    }

    @Test
    void shouldFailInFlightReadsWithEioWhenTransportCloses() throws Exception
    {
        sim.faults().inject(Fault.STALL_BEFORE_HEADERS, Target.STREAMS, torrent.infoHash(), 1);
        h.close();
        h = new TransportHarness(sim, c -> c.readTimeout(Duration.ofSeconds(20)));
        final CompletableFuture<TransportHarness.Result> read =
            CompletableFuture.supplyAsync(() -> h.read(target, 0, 100));
        assertThat(eventually(Duration.ofSeconds(5), () -> h.transport.requestsSent() == 1)).isTrue();

        h.transport.close();

        final TransportHarness.Result r = read.get(5, TimeUnit.SECONDS);
        assertThat(r.result()).isEqualTo(-Errno.EIO);
        assertThat(h.read(target, 0, 100).result()).as("reads after close fail at once").isEqualTo(-Errno.EIO);
    }

    private void assertNextReadWorks()
    {
        final TransportHarness.Result r = h.read(target, 123_456, LENGTH);
        assertThat(r.result()).isEqualTo(LENGTH);
        assertBytes(file, 123_456, r);
    }
}
