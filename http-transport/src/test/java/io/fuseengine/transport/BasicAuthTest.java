package io.fuseengine.transport;

import io.fuseengine.core.errno.Errno;
import io.fuseengine.core.meta.MetadataException;
import io.fuseengine.sim.RqbitSim;
import io.fuseengine.sim.RqbitVersion;
import io.fuseengine.sim.SimConfig;
import io.fuseengine.sim.SimFile;
import io.fuseengine.sim.SimTorrent;
import io.fuseengine.sim.TorrentSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static io.fuseengine.transport.TransportHarness.assertBytes;
import static io.fuseengine.transport.TransportHarness.target;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BasicAuthTest
{
    private RqbitSim sim;
    private SimTorrent torrent;
    private SimFile file;

    @BeforeEach
    void setUp()
    {
        sim = RqbitSim.start(SimConfig.builder().version(RqbitVersion.V9).basicAuth("alice", "s3cret:pw").port(0).build());
        torrent = sim.addTorrent(TorrentSpec.singleFile("solo.iso", 300_000));
        file = torrent.files().get(0);
    }

    @AfterEach
    void tearDown()
    {
        sim.close();
    }

    @Test
    void shouldReadWithConfiguredCredentials()
    {
        try (TransportHarness h = new TransportHarness(sim, c -> c.rqbitUser("alice").rqbitPassword("s3cret:pw")))
        {
            final TransportHarness.Result r = h.read(target(torrent, file), 10, 5000);
            assertThat(r.result()).isEqualTo(5000);
            assertBytes(file, 10, r);
        }
    }

    @Test
    void shouldReturnEaccesWithoutCredentials()
    {
        try (TransportHarness h = new TransportHarness(sim, c -> { }))
        {
            assertThat(h.read(target(torrent, file), 0, 100).result()).isEqualTo(-Errno.EACCES);
        }
    }

    @Test
    void shouldReturnEaccesWithWrongPassword()
    {
        try (TransportHarness h = new TransportHarness(sim, c -> c.rqbitUser("alice").rqbitPassword("nope")))
        {
            assertThat(h.read(target(torrent, file), 0, 100).result()).isEqualTo(-Errno.EACCES);
        }
    }

    @Test
    void shouldListTorrentsWithCredentialsAndRefuseWithoutThem() throws Exception
    {
        final Duration t = Duration.ofSeconds(2);
        try (RqbitHttpMetadata good = new RqbitHttpMetadata(URI.create(sim.baseUrl()), "alice", "s3cret:pw", t, t);
             RqbitHttpMetadata bad = new RqbitHttpMetadata(URI.create(sim.baseUrl()), null, null, t, t))
        {
            assertThat(good.listTorrents()).extracting(s -> s.infoHash()).containsExactly(torrent.infoHash());
            assertThatThrownBy(bad::listTorrents)
                .isInstanceOfSatisfying(MetadataException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EACCES))
                .hasMessageNotContaining("s3cret");
        }
    }
}
