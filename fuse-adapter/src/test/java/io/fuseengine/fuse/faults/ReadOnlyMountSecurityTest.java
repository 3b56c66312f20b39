package io.fuseengine.fuse.faults;

import io.fuseengine.sim.RqbitSim;
import io.fuseengine.sim.SimFile;
import io.fuseengine.sim.SimTorrent;
import io.fuseengine.sim.TorrentSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every write-like operation through the mount answers EROFS (with {@code allow-remove} off; with it on, all but
 * rmdir/unlink of a torrent's top-level entry) ("Read-only file system"), on files, directories and
 * the root, and leaves the tree and the bytes exactly as they were.
 */
@Timeout(60)
class ReadOnlyMountSecurityTest
{
    @TempDir
    Path tmp;

    private FaultMount fx;
    private SimTorrent show;
    private Path outside;

    private void mount(final boolean allowRemove) throws Exception
    {
        final RqbitSim sim = FaultMount.startSim();
        show = sim.addTorrent(TorrentSpec.builder("show").file(300_000, "video.bin").file(1000, "sub", "notes.txt").build());
        sim.addTorrent(TorrentSpec.singleFile("solo.iso", 5000));
        fx = FaultMount.start(sim, tmp, c -> c.allowRemove(allowRemove));
        outside = Files.writeString(tmp.resolve("outside.txt"), "outside");
    }

    @AfterEach
    void unmount()
    {
        if (fx != null)
        {
            fx.close();
        }
    }

    private static void assertErofs(final String what, final Executable op)
    {
        final Throwable t = org.assertj.core.api.Assertions.catchThrowable(op::execute);
        assertThat(t).as(what).isInstanceOf(FileSystemException.class);
        assertThat(((FileSystemException)t).getReason()).as(what).endsWith("Read-only file system");
    }

    private List<String> snapshot() throws IOException
    {
        final List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(fx.mnt))
        {
            for (final Path p : s.sorted().toList())
            {
                out.add(fx.mnt.relativize(p) + " " + (Files.isDirectory(p) ? "d" : Files.size(p)) + " "
                    + PosixFilePermissions.toString(Files.getPosixFilePermissions(p)) + " " + Files.getLastModifiedTime(p));
            }
        }
        return out;
    }

    @Test
    void withRemovalOffEveryWriteLikeOperationAnswersErofsAndChangesNothing() throws Exception
    {
        mount(false);
        checkWriteLikeOperations(true);
    }

    /**
     * With {@code allow-remove} (the default) rmdir/unlink of a torrent's top-level entry forgets the torrent (not
     * exercised here); every other write-like operation, including unlink/rmdir below the top level, is EROFS.
     */
    @Test
    void withRemovalOnEveryOtherWriteLikeOperationStillAnswersErofs() throws Exception
    {
        mount(true);
        checkWriteLikeOperations(false);
    }

    private void checkWriteLikeOperations(final boolean includeTopLevelRemoval) throws Exception
    {
        final Path file = fx.mnt.resolve("show/video.bin");
        final Path dir = fx.mnt.resolve("show/sub");
        final Path root = fx.mnt;
        final List<String> before = snapshot();
        final UserPrincipal me = fx.mnt.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("root");

        final Map<String, Executable> ops = new LinkedHashMap<>();
        ops.put("write (open for writing)", () -> Files.write(file, "x".getBytes(StandardCharsets.UTF_8)));
        ops.put("append", () -> Files.writeString(file, "x", StandardOpenOption.APPEND));
        ops.put("open read-write", () -> FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE).close());
        ops.put("truncate (O_TRUNC)", () -> FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING).close());
        ops.put("create in torrent dir", () -> Files.createFile(fx.mnt.resolve("show/new.txt")));
        ops.put("create in root", () -> Files.createFile(root.resolve("new.txt")));
        ops.put("unlink", () -> Files.delete(file));
        ops.put("rename", () -> Files.move(file, fx.mnt.resolve("show/renamed.bin")));
        ops.put("rename dir", () -> Files.move(dir, fx.mnt.resolve("show/sub2")));
        ops.put("move in from outside", () -> Files.copy(outside, fx.mnt.resolve("show/outside.txt"), StandardCopyOption.REPLACE_EXISTING));
        ops.put("chmod", () -> Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxrwxrwx")));
        ops.put("chmod dir", () -> Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx")));
        ops.put("chown", () -> Files.getFileAttributeView(file, PosixFileAttributeView.class).setOwner(me));
        ops.put("utimens", () -> Files.setLastModifiedTime(file, FileTime.fromMillis(0)));
        ops.put("mkdir", () -> Files.createDirectory(fx.mnt.resolve("show/newdir")));
        ops.put("mkdir in root", () -> Files.createDirectory(root.resolve("newdir")));
        ops.put("rmdir", () -> Files.delete(dir));
        ops.put("symlink", () -> Files.createSymbolicLink(fx.mnt.resolve("show/link"), Path.of("/etc/passwd")));
        ops.put("hard link", () -> Files.createLink(fx.mnt.resolve("show/hard"), file));
        ops.put("setxattr", () -> Files.getFileAttributeView(file, UserDefinedFileAttributeView.class)
            .write("user.evil", ByteBuffer.wrap(new byte[] {1})));
        ops.put("removexattr", () -> Files.getFileAttributeView(file, UserDefinedFileAttributeView.class).delete("user.evil"));
        if (includeTopLevelRemoval)
        {
            ops.put("unlink single-file torrent", () -> Files.delete(root.resolve("solo.iso")));
            ops.put("rmdir torrent", () -> Files.delete(fx.mnt.resolve("show")));
        }
        for (final Map.Entry<String, Executable> op : ops.entrySet())
        {
            assertErofs(op.getKey(), op.getValue());
        }

        // truncate(2) by path and mknod go through tools, which report the errno text
        for (final List<String> cmd : List.of(
            List.of("truncate", "-s", "0", file.toString()),
            List.of("mkfifo", fx.mnt.resolve("show/fifo").toString()),
            List.of("touch", fx.mnt.resolve("show/touched").toString())))
        {
            final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(String.join(" ", cmd)).isNotZero();
            assertThat(out).as(String.join(" ", cmd)).contains("Read-only file system");
        }

        assertThat(snapshot()).as("tree unchanged").isEqualTo(before);
        final SimFile video = show.files().get(0);
        FaultMount.assertContent(file, video, 0, (int)video.length());
        if (includeTopLevelRemoval)
        {
            // a read-only ("ro") mount: the kernel itself refuses W_OK (without "ro", root passes default_permissions)
            assertThat(Files.isWritable(file)).isFalse();
        }
        assertThat(Files.readAttributes(file, "unix:mode", LinkOption.NOFOLLOW_LINKS).get("mode")).isNotNull();
    }
}
