package io.fuseengine.fuse.catalog;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Remembers when this engine first saw each info hash: the mtime of every entry of that torrent, stable across
 * refreshes, remounts and daemon restarts (mount time would make media servers rescan everything on each mount).
 * <p>
 * Persisted as an append-only text file of {@code <infohash> <epoch-millis>} lines, by default
 * {@code $XDG_STATE_HOME/fuse-engine/first-seen} (or {@code ~/.local/state/fuse-engine/first-seen}). If the file
 * cannot be read or written, the store logs one WARN and carries on in memory.
 * <p>
 * Times handed out are unique and increasing, so torrents first seen in one refresh keep the order rqbit listed them
 * in (the root uses first-seen order to settle name clashes).
 * <p>
 * Threads: thread-safe (synchronized); in practice called by the catalog refresher only.
 */
public final class FirstSeenStore
{
    private static final Logger LOG = LoggerFactory.getLogger(FirstSeenStore.class);

    private final Path file;
    private final Map<String, Long> seen = new HashMap<>();
    private boolean writable;
    private long last;

    private FirstSeenStore(final Path file)
    {
        this.file = file;
        this.writable = file != null;
    }

    /**
     * @return a store that persists nothing.
     */
    public static FirstSeenStore inMemory()
    {
        return new FirstSeenStore(null);
    }

    /**
     * Opens (or starts) the store at {@code file}; never fails: an unreadable file degrades to memory.
     */
    public static FirstSeenStore open(final Path file)
    {
        final FirstSeenStore store = new FirstSeenStore(file);
        store.load();
        return store;
    }

    /**
     * @return {@code $XDG_STATE_HOME/fuse-engine/first-seen}, or {@code ~/.local/state/fuse-engine/first-seen}.
     */
    public static Path defaultFile()
    {
        final String xdg = System.getenv("XDG_STATE_HOME");
        final Path base = xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()
            ? Path.of(xdg)
            : Path.of(System.getProperty("user.home"), ".local", "state");
        return base.resolve("fuse-engine").resolve("first-seen");
    }

    private void load()
    {
        try
        {
            final List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (final String line : lines)
            {
                final String[] parts = line.trim().split("\\s+");
                if (parts.length == 2 && parts[0].length() == 40)
                {
                    try
                    {
                        final long t = Long.parseLong(parts[1]);
                        seen.putIfAbsent(parts[0], t);
                        last = Math.max(last, t);
                    }
                    catch (final NumberFormatException ignored)
                    {
                        // a torn last line: skip it
                    }
                }
            }
        }
        catch (final NoSuchFileException ex)
        {
            // first run
        }
        catch (final IOException ex)
        {
            LOG.warn("cannot read first-seen times from {} ({}); mtimes are kept in memory only", file, ex.toString());
            writable = false;
        }
    }

    /**
     * @param infoHash  torrent.
     * @param nowMillis the current time.
     * @return when the torrent was first seen; records (and persists) {@code nowMillis} if it is new.
     */
    public synchronized long firstSeenMillis(final String infoHash, final long nowMillis)
    {
        final Long known = seen.get(infoHash);
        if (known != null)
        {
            return known;
        }
        final long t = Math.max(nowMillis, last + 1);
        last = t;
        seen.put(infoHash, t);
        persist(infoHash, t);
        return t;
    }

    /**
     * @return the recorded time, or -1.
     */
    public synchronized long get(final String infoHash)
    {
        final Long known = seen.get(infoHash);
        return known == null ? -1 : known;
    }

    private void persist(final String infoHash, final long t)
    {
        if (!writable)
        {
            return;
        }
        try
        {
            Files.createDirectories(file.getParent());
            Files.writeString(file, infoHash + ' ' + t + '\n', StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        }
        catch (final IOException | RuntimeException ex)
        {
            LOG.warn("cannot record first-seen times in {} ({}); mtimes are kept in memory only", file, ex.toString());
            writable = false;
        }
    }

    /**
     * @return the backing file, or null for a memory-only store.
     */
    public Path file()
    {
        return file;
    }
}
