package io.fuseengine.fuse.mount;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Raising read_ahead_kb against a fake /sys/class/bdi (the real one is covered by the read-ahead mount test). */
class KernelReadAheadTest
{
    @TempDir
    Path bdi;

    @Test
    void writesTheNewValueAndReturnsTheOldOne() throws Exception
    {
        final Path file = Files.createDirectories(bdi.resolve("0:52")).resolve("read_ahead_kb");
        Files.writeString(file, "128\n");
        assertThat(KernelReadAhead.raise(bdi, "0:52", 1024)).isEqualTo(128);
        assertThat(Files.readString(file).trim()).isEqualTo("1024");
    }

    @Test
    void aMissingDeviceFailsSoftlyWithoutCreatingAnything()
    {
        assertThat(KernelReadAhead.raise(bdi, "0:99", 1024)).isEqualTo(-1);
        assertThat(Files.exists(bdi.resolve("0:99"))).isFalse();
    }

    @Test
    void refusesDeviceNamesThatLeaveTheBdiDirectoryAndSillyValues() throws Exception
    {
        final Path file = Files.createDirectories(bdi.resolve("0:52")).resolve("read_ahead_kb");
        Files.writeString(file, "128\n");
        assertThat(KernelReadAhead.raise(bdi, "../0:52", 1024)).isEqualTo(-1);
        assertThat(KernelReadAhead.raise(bdi, "0:52", 0)).isEqualTo(-1);
        assertThat(KernelReadAhead.raise(bdi, "0:52", KernelReadAhead.MAX_KB + 1)).isEqualTo(-1);
        assertThat(Files.readString(file).trim()).isEqualTo("128");
    }

    @Test
    void zeroLeavesTheMountAlone()
    {
        assertThat(KernelReadAhead.raise(Path.of("/nonexistent-mount"), 0)).isFalse();
    }
}
