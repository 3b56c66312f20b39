package io.fuseengine.app.ops;

import io.fuseengine.app.Main;
import io.fuseengine.sim.RqbitSim;
import io.fuseengine.sim.RqbitVersion;
import io.fuseengine.sim.SimConfig;
import io.fuseengine.sim.TorrentSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** How {@code status} shows untrusted and wide torrent names. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TorrentTextTest
{
    @Test
    void shouldNeutraliseControlCharactersAndKeepColumnsAlignedForWideNames(@TempDir final Path dir) throws Exception
    {
        try (RqbitSim sim = RqbitSim.start(SimConfig.builder().version(RqbitVersion.V9).port(0).build()))
        {
            sim.addTorrent(TorrentSpec.singleFile("evil\u001b[2Jname", 100));
            sim.addTorrent(TorrentSpec.singleFile("日本語の映画", 100));
            sim.addTorrent(TorrentSpec.singleFile("plain", 100));
            sim.addTorrent(TorrentSpec.singleFile("x".repeat(80), 100));
            final Path conf = TorrentCommandsTest.writeConfig(dir, sim, TorrentCommandsTest.freePort());

            final TorrentCommandsTest.Result r = TorrentCommandsTest.runWith(conf, "status");

            assertThat(r.code()).isEqualTo(Main.EXIT_OK);
            assertThat(r.out()).doesNotContain("\u001b").contains("evil?[2Jname").contains("x".repeat(30) + "...");
            final int plainBar = lineWith(r.out(), "plain").indexOf('[');
            final String wide = lineWith(r.out(), "日本語");
            // the wide name takes 12 columns for its 6 characters: the bar starts 6 characters earlier
            assertThat(wide.indexOf('[')).isEqualTo(plainBar - 6);
        }
    }

    private static String lineWith(final String text, final String part)
    {
        return text.lines().filter(l -> l.contains(part)).findFirst().orElseThrow();
    }
}
