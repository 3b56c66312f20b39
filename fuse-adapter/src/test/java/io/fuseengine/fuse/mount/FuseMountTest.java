package io.fuseengine.fuse.mount;

import io.fuseengine.core.config.EngineConfig;
import io.fuseengine.core.read.ReadPipeline;
import io.fuseengine.core.read.StreamTarget;
import io.fuseengine.fuse.catalog.FirstSeenStore;
import io.fuseengine.fuse.catalog.TorrentCatalog;
import io.fuseengine.fuse.fs.OpenFileTable;
import io.fuseengine.fuse.fs.TorrentFileSystem;
import io.fuseengine.fuse.testing.FakeMetadata;
import io.fuseengine.fuse.testing.GeneratedTransport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.fuseengine.fuse.testing.FakeMetadata.file;
import static io.fuseengine.fuse.testing.FakeMetadata.hash;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Real kernel mounts of the filesystem over fakes (no HTTP): mount checks, stale mount recovery, read path.
 */
@Timeout(60)
class FuseMountTest
{
    @TempDir
    Path dir;

    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private TorrentCatalog catalog;

    @AfterEach
    void cleanUp() throws Exception
    {
        for (int i = cleanup.size() - 1; i >= 0; i--)
        {
            cleanup.get(i).close();
        }
        try (Stream<Path> s = Files.list(dir))
        {
            s.forEach(p ->
            {
                if (MountTable.isMountPoint(p))
                {
                    FuseMount.lazyUnmount(p);
                }
            });
        }
    }

    private TorrentFileSystem filesystem(final FakeMetadata meta)
    {
        final ReadPipeline pipeline = new ReadPipeline(16, 64, TimeUnit.SECONDS.toNanos(5), new GeneratedTransport());
        cleanup.add(pipeline);
        catalog = new TorrentCatalog(meta, Duration.ofHours(1), Duration.ofSeconds(5), FirstSeenStore.inMemory());
        cleanup.add(catalog);
        catalog.start();
        return new TorrentFileSystem(catalog::tree, pipeline, new OpenFileTable(64));
    }

    private FuseMount mount(final TorrentFileSystem fs, final Path mp)
    {
        final FuseMount m = FuseMount.mount(fs, mp, EngineConfig.defaults());
        cleanup.add(m);
        return m;
    }

    @Test
    void mountedTreeListsStatsAndReadsFiles() throws Exception
    {
        final FakeMetadata meta = new FakeMetadata()
            .add(hash(1), "Show", file(0, 1_000_000, "s01", "e01.mkv"), file(1, 0, "empty.txt"))
            .add(hash(2), "solo.iso", file(0, 12345, "solo.iso"));
        final Path mp = Files.createDirectory(dir.resolve("mnt"));
        final FuseMount m = mount(filesystem(meta), mp);
        assertThat(m.isMounted()).isTrue();

        try (Stream<Path> s = Files.list(mp))
        {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("Show", "solo.iso");
        }
        final Path e01 = mp.resolve("Show/s01/e01.mkv");
        assertThat(Files.size(e01)).isEqualTo(1_000_000);
        assertThat(Files.size(mp.resolve("Show/empty.txt"))).isZero();
        assertThat(Files.readAllBytes(mp.resolve("Show/empty.txt"))).isEmpty();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(e01))).isEqualTo("r--r--r--");
        assertThat(Files.getAttribute(e01, "unix:ino")).isEqualTo(catalog.tree().lookup("/Show/s01/e01.mkv").inode());
        assertThat(Files.getAttribute(e01, "unix:nlink")).isEqualTo(1);
        assertThat(Files.getAttribute(mp.resolve("Show"), "unix:nlink")).isEqualTo(3);

        final StreamTarget target = new StreamTarget(hash(1), 0, 1_000_000, "x");
        try (FileChannel ch = FileChannel.open(e01, StandardOpenOption.READ))
        {
            final ByteBuffer buf = ByteBuffer.allocate(300_000);
            final long pos = 700_000;
            int n = 0;
            while (buf.hasRemaining())
            {
                final int r = ch.read(buf, pos + n);
                if (r < 0)
                {
                    break;
                }
                n += r;
            }
            assertThat(n).isEqualTo(300_000);
            for (int i = 0; i < n; i++)
            {
                if (buf.get(i) != GeneratedTransport.byteAt(target, pos + i))
                {
                    throw new AssertionError("byte " + (pos + i) + " differs");
                }
            }
        }
        final byte[] solo = Files.readAllBytes(mp.resolve("solo.iso"));
        assertThat(solo).hasSize(12345);

        assertThatThrownBy(() -> Files.writeString(mp.resolve("new.txt"), "x"))
            .isInstanceOf(FileSystemException.class).hasMessageContaining("Read-only file system");
    }

    @Test
    void closeUnmountsAndLeavesAnEmptyDirectory() throws Exception
    {
        final Path mp = Files.createDirectory(dir.resolve("mnt"));
        final FuseMount m = mount(filesystem(new FakeMetadata().add(hash(1), "a.bin", file(0, 1, "a.bin"))), mp);
        assertThat(Files.exists(mp.resolve("a.bin"))).isTrue();
        m.close();
        assertThat(MountTable.isMountPoint(mp)).isFalse();
        try (Stream<Path> s = Files.list(mp))
        {
            assertThat(s).isEmpty();
        }
        m.close();
    }

    @Test
    void refusesMissingNonDirectoryAndNonEmptyMountpoints() throws Exception
    {
        final TorrentFileSystem fs = filesystem(new FakeMetadata());
        assertThatThrownBy(() -> FuseMount.mount(fs, dir.resolve("missing"), EngineConfig.defaults()))
            .isInstanceOf(MountException.class).hasMessageContaining("does not exist");
        final Path regular = Files.writeString(dir.resolve("file"), "x");
        assertThatThrownBy(() -> FuseMount.mount(fs, regular, EngineConfig.defaults()))
            .isInstanceOf(MountException.class).hasMessageContaining("not a directory");
        final Path full = Files.createDirectory(dir.resolve("full"));
        Files.writeString(full.resolve("x"), "x");
        assertThatThrownBy(() -> FuseMount.mount(fs, full, EngineConfig.defaults()))
            .isInstanceOf(MountException.class).hasMessageContaining("not empty");
        assertThatThrownBy(() -> FuseMount.mount(fs, dir.resolve("missing/deeper"), EngineConfig.defaults()))
            .isInstanceOf(MountException.class).hasMessageContaining("does not exist");
    }

    @Test
    void refusesALiveMount() throws Exception
    {
        final Path mp = Files.createDirectory(dir.resolve("mnt"));
        mount(filesystem(new FakeMetadata()), mp);
        final TorrentFileSystem second = filesystem(new FakeMetadata());
        assertThatThrownBy(() -> FuseMount.mount(second, mp, EngineConfig.defaults()))
            .isInstanceOf(MountException.class).hasMessageContaining("already a live mount");
    }

    @Test
    void optionsAreReadOnlyWithoutRemovalAndIncludeAllowOtherOnlyWhenConfigured()
    {
        assertThat(FuseMount.options(EngineConfig.context().allowRemove(false).conclude()))
            .containsExactly("ro", "fsname=fuse-engine", "subtype=fuse-engine", "default_permissions", "max_read=1048576", "use_ino",
                "entry_timeout=60", "attr_timeout=60", "negative_timeout=5");
        final EngineConfig c = EngineConfig.context().allowRemove(false).allowOther(true).fuseOption("kernel_cache,ro").conclude();
        assertThat(FuseMount.options(c)).contains("allow_other", "kernel_cache").containsOnlyOnce("ro");
    }

    @Test
    void removalAllowedByDefaultDropsTheKernelReadOnlyFlagSoRmdirReachesTheFilesystem()
    {
        assertThat(FuseMount.options(EngineConfig.defaults()))
            .doesNotContain("ro")
            .containsExactly("fsname=fuse-engine", "subtype=fuse-engine", "default_permissions", "max_read=1048576",
                "use_ino", "entry_timeout=60", "attr_timeout=60", "negative_timeout=5");
    }

    @Test
    void defaultOptionsCacheInTheKernelButNeverBypassThePageCache()
    {
        assertThat(FuseMount.options(EngineConfig.defaults()))
            .noneMatch(o -> o.equals("direct_io") || o.equals("kernel_cache") || o.startsWith("negative_timeout=0"));
    }

    @Test
    void readAheadOptionIsOursAndNeverReachesLibfuse()
    {
        final EngineConfig c = EngineConfig.context()
            .fuseOption(FuseMount.READ_AHEAD_KB_OPTION + "=512").fuseOption(FuseMount.READ_AHEAD_KB_OPTION + "=1024").conclude();
        assertThat(FuseMount.readAheadKb(c)).isEqualTo(1024);
        assertThat(FuseMount.options(c)).noneMatch(o -> o.startsWith("x-"));
        assertThat(FuseMount.readAheadKb(EngineConfig.defaults())).isEqualTo(KernelReadAhead.DEFAULT_KB);
        assertThat(FuseMount.readAheadKb(EngineConfig.context().fuseOption(FuseMount.READ_AHEAD_KB_OPTION + "=0").conclude()))
            .as("0 leaves the kernel's").isZero();
        final EngineConfig bad = EngineConfig.context().fuseOption(FuseMount.READ_AHEAD_KB_OPTION + "=lots").conclude();
        assertThatThrownBy(() -> FuseMount.readAheadKb(bad)).isInstanceOf(MountException.class).hasMessageContaining("lots");
    }

    @Test
    void staleMountLeftByAKilledProcessIsClearedBeforeMounting() throws Exception
    {
        final Path mp = Files.createDirectory(dir.resolve("stale"));
        final String java = ProcessHandle.current().info().command().orElse("java");
        final Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
            StaleMountHelper.class.getName(), mp.toString())
            .redirectErrorStream(true)
            .start();
        try
        {
            final BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = out.readLine()) != null && !line.contains("MOUNTED"))
            {
                // child's log lines
            }
            assertThat(line).isEqualTo("MOUNTED");
            assertThat(MountTable.isMountPoint(mp)).isTrue();
        }
        finally
        {
            child.destroyForcibly();
            assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
        }
        assertThatThrownBy(() -> Files.readAttributes(mp, "unix:ino"))
            .hasMessageContaining("Transport endpoint is not connected");

        final FuseMount m = mount(filesystem(new FakeMetadata().add(hash(1), "a.bin", file(0, 1, "a.bin"))), mp);
        assertThat(Files.exists(m.mountPoint().resolve("a.bin"))).isTrue();
    }
}
