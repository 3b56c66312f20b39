package io.fuseengine.fuse.catalog;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static io.fuseengine.fuse.testing.FakeMetadata.hash;
import static org.assertj.core.api.Assertions.assertThat;

class FirstSeenStoreTest
{
    @TempDir
    Path dir;

    @Test
    void firstSeenTimesSurviveAReopen()
    {
        final Path file = dir.resolve("state").resolve("first-seen");
        final FirstSeenStore a = FirstSeenStore.open(file);
        assertThat(a.firstSeenMillis(hash(1), 1000)).isEqualTo(1000);
        assertThat(a.firstSeenMillis(hash(1), 5000)).isEqualTo(1000);

        final FirstSeenStore b = FirstSeenStore.open(file);
        assertThat(b.firstSeenMillis(hash(1), 9000)).isEqualTo(1000);
        assertThat(b.get(hash(2))).isEqualTo(-1);
    }

    @Test
    void timesHandedOutInOneInstantStayUniqueAndOrdered()
    {
        final FirstSeenStore s = FirstSeenStore.inMemory();
        final long a = s.firstSeenMillis(hash(1), 1000);
        final long b = s.firstSeenMillis(hash(2), 1000);
        final long c = s.firstSeenMillis(hash(3), 1000);
        assertThat(a).isLessThan(b);
        assertThat(b).isLessThan(c);
    }

    @Test
    void tornOrGarbageLinesAreIgnored() throws Exception
    {
        final Path file = dir.resolve("first-seen");
        Files.writeString(file, hash(1) + " 1234\ngarbage\n" + hash(2) + " 12x\n" + hash(3));
        final FirstSeenStore s = FirstSeenStore.open(file);
        assertThat(s.get(hash(1))).isEqualTo(1234);
        assertThat(s.get(hash(2))).isEqualTo(-1);
        assertThat(s.firstSeenMillis(hash(3), 10)).isEqualTo(1235);
    }

    @Test
    void unwritableLocationFallsBackToMemory() throws Exception
    {
        final Path blocker = dir.resolve("not-a-dir");
        Files.writeString(blocker, "x");
        final FirstSeenStore s = FirstSeenStore.open(blocker.resolve("first-seen"));
        assertThat(s.firstSeenMillis(hash(1), 42)).isEqualTo(42);
        assertThat(s.firstSeenMillis(hash(1), 99)).isEqualTo(42);
    }
}
