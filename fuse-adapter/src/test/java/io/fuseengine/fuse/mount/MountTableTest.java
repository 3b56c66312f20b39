package io.fuseengine.fuse.mount;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class MountTableTest
{
    @Test
    void parsesMountinfoLinesWithOptionalFieldsAndEscapes()
    {
        final List<MountTable.Entry> e = MountTable.parse(List.of(
            "36 35 98:0 /mnt1 /mnt/with\\040space rw,noatime master:1 shared:2 - fuse.fuse-engine fuse-engine rw,user_id=0",
            "25 1 0:22 / / rw - ext4 /dev/sda1 rw",
            "garbage"));
        assertThat(e).hasSize(2);
        assertThat(e.get(0).mountPoint()).isEqualTo("/mnt/with space");
        assertThat(e.get(0).fsType()).isEqualTo("fuse.fuse-engine");
        assertThat(e.get(0).source()).isEqualTo("fuse-engine");
        assertThat(e.get(0).device()).isEqualTo("98:0");
        assertThat(e.get(1).mountPoint()).isEqualTo("/");
        assertThat(e.get(1).device()).isEqualTo("0:22");
    }

    @Test
    void unescapesBackslashAndNewline()
    {
        assertThat(MountTable.unescape("a\\134b\\012c")).isEqualTo("a\\b\nc");
        assertThat(MountTable.unescape("plain")).isEqualTo("plain");
        assertThat(MountTable.unescape("trailing\\04")).isEqualTo("trailing\\04");
    }

    @Test
    void procRootIsAMountPoint()
    {
        assertThat(MountTable.isMountPoint(Path.of("/proc"))).isTrue();
    }
}
