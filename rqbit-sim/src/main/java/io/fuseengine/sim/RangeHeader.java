package io.fuseengine.sim;

/**
 * A parsed {@code Range} request header, as rqbit understands it: only {@code bytes=S-} and {@code bytes=S-E};
 * anything else (suffix ranges, multi-ranges, garbage) is ignored and the whole file is served. Immutable.
 */
final class RangeHeader {
    enum Type { NONE, OPEN, BOUNDED }

    static final RangeHeader NONE = new RangeHeader(Type.NONE, 0, -1);

    final Type type;
    final long start;
    /** Inclusive end; -1 for OPEN. */
    final long end;

    private RangeHeader(Type type, long start, long end) {
        this.type = type;
        this.start = start;
        this.end = end;
    }

    static RangeHeader parse(String header) {
        if (header == null) {
            return NONE;
        }
        String h = header.trim();
        if (!h.regionMatches(true, 0, "bytes=", 0, 6)) {
            return NONE;
        }
        String spec = h.substring(6).trim();
        int dash = spec.indexOf('-');
        if (dash <= 0 || spec.indexOf(',') >= 0) {
            return NONE; // suffix range, multi-range or garbage
        }
        Long s = digits(spec.substring(0, dash).trim());
        if (s == null) {
            return NONE;
        }
        String rest = spec.substring(dash + 1).trim();
        if (rest.isEmpty()) {
            return new RangeHeader(Type.OPEN, s, -1);
        }
        Long e = digits(rest);
        return e == null ? NONE : new RangeHeader(Type.BOUNDED, s, e);
    }

    private static Long digits(String s) {
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
