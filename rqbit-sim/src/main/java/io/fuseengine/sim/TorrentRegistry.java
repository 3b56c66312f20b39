package io.fuseengine.sim;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** The torrents a simulator serves, by id and by info hash. Thread-safe (one lock; operations are tiny). */
final class TorrentRegistry {
    private final Map<Long, SimTorrent> byId = new TreeMap<>();
    private final Map<String, SimTorrent> byHash = new HashMap<>();
    private long nextId;

    /** Adds a torrent, or returns the existing one with the same info hash. */
    synchronized SimTorrent add(TorrentSpec spec, boolean allPresent) {
        SimTorrent existing = byHash.get(spec.infoHash());
        if (existing != null) {
            return existing;
        }
        SimTorrent t = new SimTorrent(nextId++, spec, allPresent);
        byId.put(t.id(), t);
        byHash.put(t.infoHash(), t);
        return t;
    }

    /** {@code key} is a decimal id or a 40-hex info hash (any case). */
    synchronized Optional<SimTorrent> find(String key) {
        if (key == null) {
            return Optional.empty();
        }
        if (isInfoHash(key)) {
            return Optional.ofNullable(byHash.get(key.toLowerCase(Locale.ROOT)));
        }
        Long id = parseId(key);
        return id == null ? Optional.empty() : Optional.ofNullable(byId.get(id));
    }

    synchronized SimTorrent byInfoHash(String hash) {
        return byHash.get(hash.toLowerCase(Locale.ROOT));
    }

    /** Sorted by id. */
    synchronized List<SimTorrent> list() {
        return new ArrayList<>(byId.values());
    }

    synchronized Optional<SimTorrent> remove(String key) {
        Optional<SimTorrent> t = find(key);
        t.ifPresent(x -> {
            byId.remove(x.id());
            byHash.remove(x.infoHash());
        });
        return t;
    }

    /** New ids, in reversed order of the old ones, all above every id ever given. */
    synchronized void renumber() {
        List<SimTorrent> old = new ArrayList<>(byId.values());
        byId.clear();
        for (int i = old.size() - 1; i >= 0; i--) {
            SimTorrent t = old.get(i);
            t.setId(nextId++);
            byId.put(t.id(), t);
        }
    }

    static boolean isInfoHash(String s) {
        if (s.length() != 40) {
            return false;
        }
        for (int i = 0; i < 40; i++) {
            if (Character.digit(s.charAt(i), 16) < 0) {
                return false;
            }
        }
        return true;
    }

    /** A decimal id, or null when {@code s} is not one. */
    static Long parseId(String s) {
        if (s.isEmpty() || s.length() > 18) {
            return null;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return null;
            }
        }
        return Long.parseLong(s);
    }
}
