package io.fuseengine.fuse.mount;

import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;

import java.nio.file.Path;

/**
 * Run in a child JVM by {@link FuseMountTest}: mounts an empty filesystem, prints MOUNTED, and waits to be killed
 * with SIGKILL, which leaves a stale mount behind.
 */
public final class StaleMountHelper
{
    private StaleMountHelper()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final FuseStubFS fs = new FuseStubFS()
        {
            @Override
            public int getattr(final String path, final FileStat stat)
            {
                if ("/".equals(path))
                {
                    stat.st_mode.set(FileStat.S_IFDIR | 0555);
                    stat.st_nlink.set(2);
                    return 0;
                }
                return -2;
            }
        };
        fs.mount(Path.of(args[0]), false, false, new String[] {"-o", "ro,fsname=stale-helper"});
        System.out.println("MOUNTED");
        System.out.flush();
        Thread.sleep(120_000);
    }
}
