package io.fuseengine.fuse;

import io.fuseengine.core.config.EngineConfig;
import io.fuseengine.fuse.catalog.FirstSeenStore;
import io.fuseengine.fuse.mount.MountException;
import io.fuseengine.fuse.mount.MountTable;
import io.fuseengine.fuse.testing.FakeMetadata;
import io.fuseengine.fuse.testing.GeneratedTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static io.fuseengine.fuse.testing.FakeMetadata.file;
import static io.fuseengine.fuse.testing.FakeMetadata.hash;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(60)
class MountedEngineTest
{
    @TempDir
    Path dir;

    @Test
    void failedMountClosesEverythingItStarted()
    {
        final FakeMetadata meta = new FakeMetadata();
        final GeneratedTransport transport = new GeneratedTransport();
        assertThatThrownBy(() -> MountedEngine.start(EngineConfig.defaults(), dir.resolve("missing"), meta, transport,
            FirstSeenStore.inMemory()))
            .isInstanceOf(MountException.class);
        assertThat(meta.closed()).isTrue();
        assertThat(transport.closed()).isTrue();
    }

    @Test
    void closeUnmountsAndClosesTransportAndMetadata() throws Exception
    {
        final FakeMetadata meta = new FakeMetadata().add(hash(1), "a.bin", file(0, 10, "a.bin"));
        final GeneratedTransport transport = new GeneratedTransport();
        final Path mnt = Files.createDirectory(dir.resolve("mnt"));
        final MountedEngine engine = MountedEngine.start(EngineConfig.defaults(), mnt, meta, transport, FirstSeenStore.inMemory());
        try
        {
            assertThat(Files.readAllBytes(mnt.resolve("a.bin"))).hasSize(10);
            assertThat(engine.refreshNow()).isTrue();
        }
        finally
        {
            engine.close();
        }
        assertThat(MountTable.isMountPoint(mnt)).isFalse();
        assertThat(transport.closed()).isTrue();
        assertThat(meta.closed()).isTrue();
        engine.close();
    }
}
