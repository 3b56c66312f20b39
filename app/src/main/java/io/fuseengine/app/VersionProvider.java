package io.fuseengine.app;

import picocli.CommandLine;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** Reads the version Maven wrote into {@code fuse-engine-version.properties}. */
final class VersionProvider implements CommandLine.IVersionProvider
{
    static String version()
    {
        final Properties p = new Properties();
        try (InputStream in = VersionProvider.class.getResourceAsStream("/fuse-engine-version.properties"))
        {
            if (in != null)
            {
                p.load(in);
            }
        }
        catch (final IOException ignore)
        {
            // fall through
        }
        return p.getProperty("version", "unknown");
    }

    @Override
    public String[] getVersion()
    {
        return new String[] {
            "fuse-engine " + version(),
            "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")"};
    }
}
