package io.fuseengine.fuse.e2e;

import io.fuseengine.sim.SampleLibrary;
import io.fuseengine.sim.SimFile;
import io.fuseengine.sim.SimTorrent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * The sample library (5 GiB file, unicode, hostile components, zero-byte file, single-file torrent) through a real
 * mount: paths, sizes, contents, containment, concurrency, read-only.
 */
@Timeout(180)
class SampleLibraryMountTest
{
    @TempDir
    static Path tmp;

    /** Files up to this size are read whole (the 48 MiB video and the 5 GiB file are sampled instead). */
    private static final long SMALL = 16L * 1024 * 1024;
    private static final int THREADS = 64;
    private static final int READS_PER_THREAD = 8;

    private static SimMount fx;
    private static Map<String, SimFile> expected;

    @BeforeAll
    static void mount() throws IOException
    {
        final var sim = SimMount.startSim();
        final List<SimTorrent> torrents = SampleLibrary.install(sim, true);
        // removal off: this suite checks that nothing, not even rmdir/unlink of a torrent, changes the library
        fx = SimMount.start(sim, tmp, c -> c.allowRemove(false));
        expected = expectedPaths(torrents);
    }

    @AfterAll
    static void unmount()
    {
        if (fx != null)
        {
            fx.close();
        }
    }

    /**
     * Where every non-padding file of the sample should appear, relative to the mount.
     */
    private static Map<String, SimFile> expectedPaths(final List<SimTorrent> torrents)
    {
        final Map<String, SimFile> out = new LinkedHashMap<>();
        for (final SimTorrent t : torrents)
        {
            final List<SimFile> files = t.files().stream().filter(f -> !f.padding()).toList();
            if (t.name().equals(SampleLibrary.HOSTILE))
            {
                final String d = SampleLibrary.HOSTILE + "/";
                final Map<Integer, String> byIndex = new HashMap<>();
                byIndex.put(0, d + "_..");
                byIndex.put(1, d + "_.");
                byIndex.put(2, d + "a_b");
                byIndex.put(3, d + "x_y");
                byIndex.put(4, d + "ctl_");
                byIndex.put(6, d + "a/b");
                byIndex.put(7, d + "dup.txt");
                byIndex.put(8, d + "dup (2).txt");
                byIndex.put(9, d + "_.. (2)/_../etc/passwd");
                for (final SimFile f : files)
                {
                    if (f.index() != 5)
                    {
                        out.put(byIndex.get(f.index()), f);
                    }
                }
                continue;
            }
            if (files.size() == 1 && files.get(0).components().size() == 1)
            {
                out.put(files.get(0).components().get(0), files.get(0));
            }
            else
            {
                for (final SimFile f : files)
                {
                    out.put(t.name() + "/" + String.join("/", f.components()), f);
                }
            }
        }
        return out;
    }

    private static SimTorrent torrent(final String name)
    {
        return fx.sim.torrents().stream().filter(t -> name.equals(t.name())).findFirst().orElseThrow();
    }

    @Test
    void everyExpectedPathExistsWithTheRightSizeAndReadOnlyMode() throws IOException
    {
        for (final Map.Entry<String, SimFile> e : expected.entrySet())
        {
            final Path p = fx.mnt.resolve(e.getKey());
            assertThat(Files.isRegularFile(p)).as(e.getKey()).isTrue();
            assertThat(Files.size(p)).as(e.getKey()).isEqualTo(e.getValue().length());
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p))).isEqualTo("r--r--r--");
        }
        assertThat(Files.isRegularFile(fx.mnt.resolve(SampleLibrary.SOLO))).isTrue();
        assertThat(Files.size(fx.mnt.resolve(SampleLibrary.HUGE))).isEqualTo(SampleLibrary.HUGE_LENGTH);
        assertThat(Files.isDirectory(fx.mnt.resolve(SampleLibrary.BIG_BUCK_BUNNY))).isTrue();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(fx.mnt.resolve(SampleLibrary.BIG_BUCK_BUNNY))))
            .isEqualTo("r-xr-xr-x");
        try (Stream<Path> s = Files.list(fx.mnt.resolve(SampleLibrary.BIG_BUCK_BUNNY)))
        {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("poster.jpg", "video", "subs");
        }

        // the 300-character name: cut to 255 bytes, extension kept
        try (Stream<Path> s = Files.list(fx.mnt.resolve(SampleLibrary.HOSTILE)))
        {
            final List<String> longNames = s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("nnnn")).toList();
            assertThat(longNames).hasSize(1);
            assertThat(longNames.get(0)).endsWith(".txt");
            assertThat(longNames.get(0).getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(255);
            assertThat(Files.size(fx.mnt.resolve(SampleLibrary.HOSTILE).resolve(longNames.get(0)))).isEqualTo(1_005);
        }
    }

    @Test
    void walkFindsExactlyTheExpectedFilesAndNothingEscapesTheMount() throws IOException
    {
        final Path root = fx.mnt.toRealPath();
        final List<Path> files;
        try (Stream<Path> s = Files.walk(fx.mnt))
        {
            files = s.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).toList();
        }
        // +1: the long hostile name not listed in the expected map
        assertThat(files).hasSize(expected.size() + 1);
        for (final Path p : files)
        {
            assertThat(p.toRealPath().startsWith(root)).as(p.toString()).isTrue();
            for (final Path name : fx.mnt.relativize(p))
            {
                final String n = name.toString();
                assertThat(n).isNotIn(".", "..", "").doesNotContain("\0").doesNotContain("/");
            }
        }
        final Path hostile = fx.mnt.resolve(SampleLibrary.HOSTILE);
        assertThat(hostile.resolve("_..").toRealPath().getParent()).isEqualTo(hostile.toRealPath());
        assertThat(Files.isDirectory(hostile.resolve(".."))).isTrue();          // the kernel's "..", i.e. the root
        assertThat(hostile.resolve("..").toRealPath()).isEqualTo(root);
        assertThat(Files.readAllBytes(hostile.resolve("_.. (2)/_../etc/passwd"))).hasSize(1_009);
    }

    @Test
    void smallFilesReadWholeMatchTheGeneratedContent() throws Exception
    {
        for (final Map.Entry<String, SimFile> e : expected.entrySet())
        {
            final SimFile f = e.getValue();
            if (f.length() > SMALL)
            {
                continue;
            }
            final MessageDigest got = MessageDigest.getInstance("SHA-256");
            long n = 0;
            try (InputStream in = Files.newInputStream(fx.mnt.resolve(e.getKey())))
            {
                final byte[] buf = new byte[1 << 20];
                int r;
                while ((r = in.read(buf)) > 0)
                {
                    got.update(buf, 0, r);
                    n += r;
                }
            }
            assertThat(n).as(e.getKey()).isEqualTo(f.length());
            assertThat(HexFormat.of().formatHex(got.digest())).as(e.getKey()).isEqualTo(sha256(f));
        }
    }

    private static String sha256(final SimFile f) throws Exception
    {
        final MessageDigest md = MessageDigest.getInstance("SHA-256");
        final byte[] buf = new byte[1 << 20];
        for (long pos = 0; pos < f.length(); pos += buf.length)
        {
            final int len = (int)Math.min(buf.length, f.length() - pos);
            f.read(pos, buf, 0, len);
            md.update(buf, 0, len);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    @Test
    void hugeFileReadsCorrectlyAtRandomOffsetsIncludingPastFourGiB() throws IOException
    {
        final SimFile huge = torrent(SampleLibrary.HUGE).files().get(0);
        final Random rnd = new Random(42);
        final List<Long> offsets = new ArrayList<>(List.of(0L, (1L << 32) - 1000, 1L << 32, (1L << 32) + 12_345,
            SampleLibrary.HUGE_LENGTH - 100_000, SampleLibrary.HUGE_LENGTH - 1));
        for (int i = 0; i < 20; i++)
        {
            offsets.add((long)(rnd.nextDouble() * SampleLibrary.HUGE_LENGTH));
        }
        try (FileChannel ch = FileChannel.open(fx.mnt.resolve(SampleLibrary.HUGE), StandardOpenOption.READ))
        {
            for (final long off : offsets)
            {
                final int len = (int)Math.min(200_000, SampleLibrary.HUGE_LENGTH - off);
                final byte[] got = SimMount.readAt(ch, off, len);
                final byte[] want = new byte[len];
                huge.read(off, want, 0, len);
                assertThat(got.length).as("length at " + off).isEqualTo(len);
                assertThat(Arrays.equals(got, want)).as("bytes at " + off).isTrue();
            }
            assertThat(SimMount.readAt(ch, SampleLibrary.HUGE_LENGTH, 10)).isEmpty();
        }
    }

    @Test
    void readsStillReachTheFilesystemAfterFullGarbageCollections() throws IOException
    {
        // the read callback's native closure refers to its Java object weakly: were that object not held, a
        // collection would turn every later read into "end of file"
        final SimFile huge = torrent(SampleLibrary.HUGE).files().get(0);
        final long[] offsets = {3_000_000_000L, 1_234_567L};
        for (int round = 0; round < 2; round++)
        {
            System.gc();
            System.gc();
            try (FileChannel ch = FileChannel.open(fx.mnt.resolve(SampleLibrary.HUGE), StandardOpenOption.READ))
            {
                final byte[] got = SimMount.readAt(ch, offsets[round], 100_000);
                final byte[] want = new byte[100_000];
                huge.read(offsets[round], want, 0, want.length);
                assertThat(got.length).as("length in round " + round).isEqualTo(want.length);
                assertThat(Arrays.equals(got, want)).as("bytes in round " + round).isTrue();
            }
        }
    }

    @Test
    void sixtyFourThreadsReadingRandomRangesGetCorrectBytesWithinTheConnectionCap() throws Exception
    {
        final Map<String, SimFile> targets = new LinkedHashMap<>();
        targets.put(SampleLibrary.HUGE, torrent(SampleLibrary.HUGE).files().get(0));
        targets.put(SampleLibrary.SOLO, torrent(SampleLibrary.SOLO).files().get(0));
        expected.entrySet().stream()
            .filter(e -> e.getValue().length() > 1_000_000 && !targets.containsValue(e.getValue()))
            .forEach(e -> targets.put(e.getKey(), e.getValue()));
        final List<String> paths = new ArrayList<>(targets.keySet());
        fx.sim.stats().resetPeak();

        final ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try
        {
            assertTimeoutPreemptively(Duration.ofSeconds(120), () ->
            {
                final List<Future<Integer>> results = new ArrayList<>();
                for (int th = 0; th < THREADS; th++)
                {
                    final long seed = th;
                    results.add(pool.submit((Callable<Integer>)() ->
                    {
                        final Random rnd = new Random(seed);
                        int checked = 0;
                        for (int i = 0; i < READS_PER_THREAD; i++)
                        {
                            final String path = paths.get(rnd.nextInt(paths.size()));
                            final SimFile f = targets.get(path);
                            final long off = (long)(rnd.nextDouble() * f.length());
                            final int len = (int)Math.min(1 + rnd.nextInt(192 * 1024), f.length() - off);
                            final byte[] got;
                            try (FileChannel ch = FileChannel.open(fx.mnt.resolve(path), StandardOpenOption.READ))
                            {
                                got = SimMount.readAt(ch, off, len);
                            }
                            final byte[] want = new byte[len];
                            f.read(off, want, 0, len);
                            if (!Arrays.equals(got, want))
                            {
                                throw new AssertionError(path + " differs at " + off + " (" + len + " bytes)");
                            }
                            checked++;
                        }
                        return checked;
                    }));
                }
                int total = 0;
                for (final Future<Integer> r : results)
                {
                    total += r.get();
                }
                assertThat(total).isEqualTo(THREADS * READS_PER_THREAD);
            });
        }
        finally
        {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(fx.sim.stats().peakOpenStreams()).isLessThanOrEqualTo(fx.config.maxConnections());
    }

    @Test
    void writeAttemptsFailWithReadOnlyFileSystem()
    {
        final Path solo = fx.mnt.resolve(SampleLibrary.SOLO);
        final Path bbb = fx.mnt.resolve(SampleLibrary.BIG_BUCK_BUNNY);
        final List<ThrowingRunnable> attempts = List.of(
            () -> Files.createFile(fx.mnt.resolve("new.txt")),
            () -> Files.createDirectory(bbb.resolve("newdir")),
            () -> Files.delete(solo),
            () -> Files.delete(bbb.resolve("subs/en.srt")),
            () -> Files.move(solo, fx.mnt.resolve("renamed.iso")),
            () -> Files.setPosixFilePermissions(solo, PosixFilePermissions.fromString("rwxrwxrwx")),
            () -> Files.newOutputStream(solo, StandardOpenOption.WRITE).close(),
            () -> Files.newOutputStream(solo, StandardOpenOption.APPEND).close());
        for (final ThrowingRunnable attempt : attempts)
        {
            assertThatThrownBy(attempt::run)
                .isInstanceOf(FileSystemException.class)
                .hasMessageContaining("Read-only file system");
        }
        assertThat(Files.exists(fx.mnt.resolve("new.txt"))).isFalse();
        assertThat(Files.exists(solo)).isTrue();
    }

    @FunctionalInterface
    interface ThrowingRunnable
    {
        void run() throws Exception;
    }

    @Test
    void statfsReportsTheLibrarySize() throws IOException
    {
        final var store = Files.getFileStore(fx.mnt);
        assertThat(store.isReadOnly()).isTrue();
        final long real = expected.values().stream().collect(Collectors.summingLong(SimFile::length)) + 1_005;
        assertThat(store.getTotalSpace()).isBetween(real, real + 128L * 1024 * 64);
    }
}
