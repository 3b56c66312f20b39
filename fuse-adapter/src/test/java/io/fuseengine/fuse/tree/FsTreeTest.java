package io.fuseengine.fuse.tree;

import io.fuseengine.core.meta.TorrentDetails;
import io.fuseengine.core.meta.TorrentFile;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.fuseengine.fuse.testing.FakeMetadata.file;
import static io.fuseengine.fuse.testing.FakeMetadata.hash;
import static io.fuseengine.fuse.testing.FakeMetadata.padding;
import static org.assertj.core.api.Assertions.assertThat;

class FsTreeTest
{
    private final InodeRegistry inodes = new InodeRegistry();

    private TorrentLayout layout(final int n, final String name, final long firstSeen, final TorrentFile... files)
    {
        return TorrentLayout.build(new TorrentDetails(hash(n), name, -1, List.of(files)), null, firstSeen, inodes);
    }

    private static List<String> names(final FsNode dir)
    {
        return Arrays.stream(dir.children()).map(FsNode::name).toList();
    }

    @Test
    void multiFileTorrentIsADirectoryHoldingItsFileTreeWithPaddingHidden()
    {
        final FsTree tree = FsTree.build(List.of(layout(1, "Show", 1000,
            file(0, 10, "s01", "e01.mkv"), padding(1, 6), file(2, 20, "s01", "e02.mkv"), file(3, 5, "info.nfo"))), 0, 1);

        assertThat(names(tree.root())).containsExactly("Show");
        assertThat(names(tree.lookup("/Show"))).containsExactly("s01", "info.nfo");
        assertThat(names(tree.lookup("/Show/s01"))).containsExactly("e01.mkv", "e02.mkv");
        final FsNode e02 = tree.lookup("/Show/s01/e02.mkv");
        assertThat(e02.isDirectory()).isFalse();
        assertThat(e02.size()).isEqualTo(20);
        assertThat(e02.target().fileIndex()).isEqualTo(2);
        assertThat(e02.target().infoHash()).isEqualTo(hash(1));
        assertThat(e02.target().description()).isEqualTo("Show/s01/e02.mkv");
        assertThat(tree.lookup("/Show/.pad")).isNull();
        assertThat(tree.totalBytes()).isEqualTo(35);
        assertThat(tree.containsTorrent(hash(1))).isTrue();
    }

    @Test
    void singleFileTorrentIsAFileAtTheRoot()
    {
        final FsTree tree = FsTree.build(List.of(
            layout(1, "solo.iso", 1000, file(0, 42, "solo.iso")),
            layout(2, "Other name", 2000, padding(0, 3), file(1, 7, "only.bin"))), 0, 1);

        assertThat(tree.lookup("/solo.iso").isDirectory()).isFalse();
        assertThat(tree.lookup("/solo.iso").size()).isEqualTo(42);
        assertThat(tree.lookup("/only.bin").target().fileIndex()).isEqualTo(1);
    }

    @Test
    void torrentWithoutNameIsNamedAfterItsInfoHash()
    {
        final FsTree tree = FsTree.build(List.of(layout(7, null, 1000, file(0, 1, "a"), file(1, 1, "b"))), 0, 1);
        assertThat(names(tree.root())).containsExactly(hash(7));
    }

    @Test
    void hostileComponentsNeverEscapeTheTorrentDirectory()
    {
        final FsTree tree = FsTree.build(List.of(layout(1, "../evil", 1000,
            file(0, 1, "..", "..", "etc", "passwd"),
            file(1, 1, ".", "x"),
            file(2, 1, "", "y"),
            file(3, 1, "a/b", "c\0d"),
            file(4, 1, "ctl\u0001"))), 0, 1);

        assertThat(names(tree.root())).containsExactly(".._evil");
        assertThat(tree.lookup("/.._evil/_../_../etc/passwd")).isNotNull();
        assertThat(tree.lookup("/.._evil/_./x")).isNotNull();
        assertThat(tree.lookup("/.._evil/_/y")).isNotNull();
        assertThat(tree.lookup("/.._evil/a_b/c_d")).isNotNull();
        assertThat(tree.lookup("/.._evil/ctl_")).isNotNull();
        assertEveryNameIsSafe(tree.root());
    }

    private static void assertEveryNameIsSafe(final FsNode dir)
    {
        for (final FsNode c : dir.children())
        {
            assertThat(c.name()).doesNotContain("/").doesNotContain("\0").isNotIn(".", "..", "");
            assertEveryNameIsSafe(c);
        }
    }

    @Test
    void clashesAreMadeUniqueInIndexOrder()
    {
        final FsTree tree = FsTree.build(List.of(layout(1, "T", 1000,
            file(0, 1, "x"),          // a file x
            file(1, 2, "x", "y"),     // and a dir x
            file(2, 3, "dup.mkv"),
            file(3, 4, "dup.mkv"),
            file(4, 5, "a/b"),        // sanitises to a_b
            file(5, 6, "a_b"))), 0, 1);

        assertThat(names(tree.lookup("/T"))).containsExactly("x", "x (2)", "dup.mkv", "dup (2).mkv", "a_b", "a_b (2)");
        assertThat(tree.lookup("/T/x").isDirectory()).isFalse();
        assertThat(tree.lookup("/T/x (2)/y").size()).isEqualTo(2);
        assertThat(tree.lookup("/T/dup.mkv").size()).isEqualTo(3);
        assertThat(tree.lookup("/T/dup (2).mkv").size()).isEqualTo(4);
        assertThat(tree.lookup("/T/a_b").size()).isEqualTo(5);
        assertThat(tree.lookup("/T/a_b (2)").size()).isEqualTo(6);
    }

    @Test
    void generatedSuffixNeverTakesANameARealEntryHas()
    {
        final FsTree tree = FsTree.build(List.of(layout(1, "T", 1000,
            file(0, 1, "a.bin"), file(1, 2, "a.bin"), file(2, 3, "a (2).bin"))), 0, 1);
        assertThat(names(tree.lookup("/T"))).containsExactly("a.bin", "a (3).bin", "a (2).bin");
        assertThat(tree.lookup("/T/a (2).bin").size()).isEqualTo(3);
    }

    @Test
    void torrentsWithOneNameAreMadeUniqueInFirstSeenOrder()
    {
        final TorrentLayout older = layout(9, "Same", 1000, file(0, 1, "a"), file(1, 1, "b"));
        final TorrentLayout newer = layout(1, "Same", 2000, file(0, 1, "a"), file(1, 1, "b"));
        final FsTree tree = FsTree.build(List.of(newer, older), 0, 1);
        assertThat(names(tree.root())).containsExactly("Same", "Same (2)");
        assertThat(tree.lookup("/Same/a").target().infoHash()).isEqualTo(hash(9));
        assertThat(tree.lookup("/Same (2)/a").target().infoHash()).isEqualTo(hash(1));
    }

    @Test
    void inodesAreUniqueAndStableAcrossRebuilds()
    {
        final TorrentLayout a = layout(1, "A", 1000, file(0, 1, "d", "x"), file(1, 1, "d", "y"));
        final TorrentLayout b = layout(2, "B", 2000, file(0, 1, "x"), file(1, 1, "y"));
        final FsTree first = FsTree.build(List.of(a, b), 0, 1);
        final Set<Long> seen = new HashSet<>();
        collect(first.root(), seen);
        assertThat(seen).hasSize(first.nodeCount());
        assertThat(first.root().inode()).isEqualTo(InodeRegistry.ROOT_INODE);

        // rebuilt from freshly built layouts (same registry, as the catalog does), and in a new registry (restart)
        final FsTree second = FsTree.build(List.of(b), 0, 2);
        assertThat(second.lookup("/B/x").inode()).isEqualTo(first.lookup("/B/x").inode());
        final InodeRegistry restarted = new InodeRegistry();
        final TorrentLayout again = TorrentLayout.build(
            new TorrentDetails(hash(1), "A", -1, List.of(file(0, 1, "d", "x"), file(1, 1, "d", "y"))), null, 1000, restarted);
        assertThat(again.top().inode()).isEqualTo(a.top().inode());
    }

    private static void collect(final FsNode node, final Set<Long> out)
    {
        out.add(node.inode());
        for (final FsNode c : node.children())
        {
            collect(c, out);
        }
    }

    @Test
    void collidingInodeHashesProbeToDistinctNumbers()
    {
        final InodeRegistry constant = new InodeRegistry(key -> 42);
        final List<Long> got = new ArrayList<>();
        for (int i = 0; i < 5; i++)
        {
            got.add(constant.assign(hash(1), "p" + i));
        }
        assertThat(new HashSet<>(got)).hasSize(5);
        assertThat(got.get(0)).isEqualTo(42);
        assertThat(constant.assign(hash(1), "p3")).isEqualTo(got.get(3));
        assertThat(new InodeRegistry(key -> 1).assign(hash(1), "")).isGreaterThan(1);
    }

    @Test
    void nlinkModeSizeBlocksAndMtimeFollowTheEntries()
    {
        final FsTree tree = FsTree.build(List.of(layout(1, "T", 5_000_999,
            file(0, 1000, "d1", "a"), file(1, 0, "d2", "b"), file(2, 513, "c"))), 0, 1);
        final FsNode t = tree.lookup("/T");
        assertThat(t.nlink()).isEqualTo(4);
        assertThat(tree.root().nlink()).isEqualTo(3);
        assertThat(tree.lookup("/T/c").nlink()).isEqualTo(1);
        assertThat(tree.lookup("/T/c").blocks()).isEqualTo(2);
        assertThat(tree.lookup("/T/d2/b").size()).isZero();
        assertThat(tree.lookup("/T/d2/b").blocks()).isZero();
        assertThat(tree.lookup("/T/c").mtimeSeconds()).isEqualTo(5000);
        assertThat(tree.root().mtimeSeconds()).isEqualTo(5000);
    }

    @Test
    void emptyTreeHasOnlyTheRoot()
    {
        final FsTree tree = FsTree.empty(77);
        assertThat(tree.root().children()).isEmpty();
        assertThat(tree.lookup("/")).isSameAs(tree.root());
        assertThat(tree.root().mtimeSeconds()).isEqualTo(77);
        assertThat(tree.lookup("/x")).isNull();
    }
}
