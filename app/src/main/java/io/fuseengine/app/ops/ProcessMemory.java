package io.fuseengine.app.ops;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This process's resident memory as the kernel reports it ({@code VmRSS} of {@code /proc/self/status}, what
 * {@code top} and the memory targets in perf-reports/scale show), read when asked.
 * <p>
 * Threads: any; each call reads the file afresh (a scrape's worth of work, not for a hot path).
 */
public final class ProcessMemory
{
    private static final Path STATUS = Path.of("/proc/self/status");
    private static final String VM_RSS = "VmRSS:";

    private ProcessMemory()
    {
    }

    /** @return resident bytes, or -1 where there is no {@code /proc/self/status} or it has no VmRSS line. */
    public static long residentBytes()
    {
        try
        {
            return parseResidentBytes(new String(Files.readAllBytes(STATUS), StandardCharsets.US_ASCII));
        }
        catch (final IOException | RuntimeException ex)
        {
            return -1;
        }
    }

    /** @return the VmRSS line of a {@code /proc/PID/status} text in bytes, or -1 if it has none. */
    static long parseResidentBytes(final String status)
    {
        final int at = status.indexOf(VM_RSS);
        if (at < 0)
        {
            return -1;
        }
        int i = at + VM_RSS.length();
        while (i < status.length() && (status.charAt(i) == ' ' || status.charAt(i) == '\t'))
        {
            i++;
        }
        long kib = 0;
        boolean digits = false;
        while (i < status.length() && status.charAt(i) >= '0' && status.charAt(i) <= '9')
        {
            kib = kib * 10 + (status.charAt(i) - '0');
            digits = true;
            i++;
        }
        return digits ? kib * 1024 : -1;
    }
}
