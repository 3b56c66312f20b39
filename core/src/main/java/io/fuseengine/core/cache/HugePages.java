package io.fuseengine.core.cache;

import net.openhft.chronicle.hash.impl.VanillaChronicleHash;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.posix.MAdviseFlag;
import net.openhft.posix.PosixAPI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks the kernel to back an in-memory chunk map with transparent huge pages ({@code madvise(MADV_HUGEPAGE)}).
 * <p>
 * Why: a fresh map's memory is touched for the first time by the fetchers' inserts, one 4 KiB page fault at a time.
 * Profiling a cold 1 GiB sequential read through the mount (async-profiler, 2-core VM) put about a third of the
 * fetchers' CPU time in those faults (clear_page, set_pte, the fault return path): 131 072 faults for a 512 MiB
 * budget. With 2 MiB pages that is 256. Most distributions ship THP in {@code madvise} mode, so the advice is
 * what turns it on. A persisted map is a shared file mapping, where anonymous THP does not apply: left alone.
 * <p>
 * Best effort: any failure (not Linux, THP disabled, the native call unavailable) is one DEBUG line.
 */
final class HugePages
{
    private static final Logger LOG = LoggerFactory.getLogger(HugePages.class);
    private static final long HUGE_PAGE = 2L * 1024 * 1024;

    private HugePages()
    {
    }

    /** Opening thread, before the map is shared. */
    static void advise(final ChronicleMap<?, ?> map)
    {
        try
        {
            if (!(map instanceof VanillaChronicleHash) || !System.getProperty("os.name", "").startsWith("Linux"))
            {
                return;
            }
            final VanillaChronicleHash<?, ?, ?, ?> hash = (VanillaChronicleHash<?, ?, ?, ?>)map;
            final long address = hash.bsAddress();
            final long length = map.offHeapMemoryUsed();
            final long start = (address + HUGE_PAGE - 1) & -HUGE_PAGE;
            final long end = (address + length) & -HUGE_PAGE;
            if (address == 0 || end <= start)
            {
                return;
            }
            final int rc = PosixAPI.posix().madvise(start, end - start, MAdviseFlag.MADV_HUGEPAGE);
            LOG.debug("chunk cache: madvise(MADV_HUGEPAGE) of {} MiB answered {}", (end - start) >> 20, rc);
        }
        catch (final RuntimeException | LinkageError ex)
        {
            LOG.debug("chunk cache: no huge-page advice ({})", ex.toString());
        }
    }
}
