package io.fuseengine.fuse.faults;

import io.fuseengine.sim.RqbitSim;
import io.fuseengine.sim.SimFile;
import io.fuseengine.sim.SimTorrent;
import io.fuseengine.sim.TorrentSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Torrents whose names and path components are hostile ({@code ..}, {@code .}, '/' inside a component, NUL,
 * control characters, names over 255 bytes, duplicates, empty components): through a real mount every entry is a
 * plain name, every real path stays under its torrent's directory, every file reads its own bytes, and the names
 * are the same after a remount.
 */
@Timeout(90)
class HostileNamesMountTest
{
    @TempDir
    Path tmp;

    private FaultMount fx;

    @AfterEach
    void unmount()
    {
        if (fx != null)
        {
            fx.close();
        }
    }

    private static final String LONG = "x".repeat(300) + ".mkv";
    private static final String LONG_UTF8 = "é".repeat(200) + ".srt";

    private static TorrentSpec hostile()
    {
        long len = 1000;
        return TorrentSpec.builder("evil")
            .file(len++, "..", "..", "..", "etc", "passwd")
            .file(len++, "..")
            .file(len++, ".")
            .file(len++, "", "empty-dir-component.txt")
            .file(len++, "a/b", "c/../../d.txt")
            .file(len++, "/abs", "root.txt")
            .file(len++, "nul\u0000byte.txt")
            .file(len++, "ctl\u0001\u001f\u007f\n\t.txt")
            .file(len++, LONG)
            .file(len++, LONG_UTF8)
            .file(len++, "dup.txt")
            .file(len++, "dup.txt")
            .file(len++, "dir", "same.txt")
            .file(len++, "dir", "same.txt")
            .file(len++, "dir")
            .file(len, "\ud800lone-surrogate.txt")
            .build();
    }

    /** Every entry under the mount, relative, sorted, with sizes: the observable naming. */
    private List<String> listing() throws IOException
    {
        try (Stream<Path> s = Files.walk(fx.mnt))
        {
            return s.map(p -> fx.mnt.relativize(p) + (Files.isRegularFile(p) ? " " + sizeOf(p) : "/")).sorted().toList();
        }
    }

    private static long sizeOf(final Path p)
    {
        try
        {
            return Files.size(p);
        }
        catch (final IOException ex)
        {
            throw new AssertionError(ex);
        }
    }

    @Test
    void hostileNamesAreSanitisedDeterministicallyAndNeverEscapeTheTorrentDirectory() throws Exception
    {
        final RqbitSim sim = FaultMount.startSim();
        final SimTorrent evil = sim.addTorrent(hostile());
        final SimTorrent dotdot = sim.addTorrent(TorrentSpec.builder("..").file(77, "inner.txt").file(78, "..").build());
        final SimTorrent slashy = sim.addTorrent(TorrentSpec.singleFile("../escape.iso", 4321));
        fx = FaultMount.start(sim, tmp, c -> { });
        final Path mntReal = fx.mnt.toRealPath();
        final List<String> first = listing();

        final Map<Long, SimFile> bySize = new HashMap<>();
        for (final SimTorrent t : List.of(evil, dotdot, slashy))
        {
            for (final SimFile f : t.files())
            {
                assertThat(bySize.put(f.length(), f)).as("file lengths are unique").isNull();
            }
        }
        int files = 0;
        try (Stream<Path> s = Files.walk(fx.mnt))
        {
            for (final Path p : s.toList())
            {
                final Path real = p.toRealPath();
                assertThat(real.startsWith(mntReal)).as("%s resolves inside the mount", p).isTrue();
                if (p.equals(fx.mnt))
                {
                    continue;
                }
                final String name = p.getFileName().toString();
                assertThat(name).isNotIn(".", "..").doesNotContain("/").doesNotContain("\u0000");
                assertThat(name.chars().noneMatch(ch -> ch < 0x20 || ch == 0x7f)).as("no control characters in %s", name).isTrue();
                assertThat(name.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(255);
                assertThat(Files.isSymbolicLink(p)).isFalse();
                if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
                {
                    files++;
                    final SimFile source = bySize.get(Files.size(p));
                    assertThat(source).as("a source file of %d bytes for %s", Files.size(p), p).isNotNull();
                    // a file of torrent T lives under T's directory (or is T itself for a single-file torrent)
                    final Path top = fx.mnt.resolve(fx.mnt.relativize(p).getName(0));
                    assertThat(real.startsWith(top.toRealPath())).isTrue();
                    FaultMount.assertContent(p, source, 0, (int)source.length());
                }
            }
        }
        assertThat(files).as("every file is reachable").isEqualTo(bySize.size());
        assertThat(first).contains("evil/_../_../_../etc/passwd 1000", "evil/_.. (2) 1001", "evil/_. 1002", "evil/a_b/c_.._.._d.txt 1004",
            "evil/_abs/root.txt 1005", "evil/nul_byte.txt 1006", "evil/ctl_____.txt 1007", "evil/dup.txt 1010", "evil/dir (2) 1014");
        assertThat(first).anyMatch(e -> e.startsWith("evil/dup (2).txt"));
        assertThat(first).anyMatch(e -> e.startsWith("_../") || e.equals("_../"));
        assertThat(first).anyMatch(e -> e.startsWith(".._escape.iso "));
        assertThat(Files.exists(tmp.resolve("etc"))).isFalse();
        assertThat(Files.exists(fx.mnt.resolve("etc"))).isFalse();

        // same input, fresh engine: same names
        fx.close();
        fx = null;
        final RqbitSim again = FaultMount.startSim();
        again.addTorrent(hostile());
        again.addTorrent(TorrentSpec.builder("..").file(77, "inner.txt").file(78, "..").build());
        again.addTorrent(TorrentSpec.singleFile("../escape.iso", 4321));
        final Path tmp2 = java.nio.file.Files.createDirectories(tmp.resolve("second"));
        fx = FaultMount.start(again, tmp2, c -> { });
        assertThat(listing()).isEqualTo(first);
        final List<String> shown = new ArrayList<>(first);
        System.out.println("hostile names as mounted: " + shown);
    }
}
