package io.fuseengine.app;

/** Shows untrusted torrent names on a terminal: control characters become '?', long names are shortened. */
final class TorrentText
{
    private TorrentText()
    {
    }

    /** @return the name with control characters (and DEL, C1 controls) replaced by '?'; "(unnamed)" for null. */
    static String clean(final String name)
    {
        if (name == null)
        {
            return "(unnamed)";
        }
        final StringBuilder b = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++)
        {
            final char c = name.charAt(i);
            b.append(c < 0x20 || (c >= 0x7f && c < 0xa0) ? '?' : c);
        }
        return b.toString();
    }

    /**
     * @return {@link #clean} cut to {@code width} terminal columns (ending in "...") and padded to it; wide (CJK,
     * emoji) characters count two columns, combining marks none.
     */
    static String fit(final String name, final int width)
    {
        final String s = clean(name);
        if (columns(s) <= width)
        {
            return s + " ".repeat(width - columns(s));
        }
        final StringBuilder b = new StringBuilder();
        int used = 0;
        for (int i = 0; i < s.length(); )
        {
            final int cp = s.codePointAt(i);
            final int w = columns(cp);
            if (used + w > width - 3)
            {
                break;
            }
            b.appendCodePoint(cp);
            used += w;
            i += Character.charCount(cp);
        }
        return b + "..." + " ".repeat(width - 3 - used);
    }

    /** @return the terminal columns a string takes (approximately: East Asian wide and emoji count two). */
    static int columns(final String s)
    {
        return s.codePoints().map(TorrentText::columns).sum();
    }

    private static int columns(final int cp)
    {
        final int type = Character.getType(cp);
        if (type == Character.NON_SPACING_MARK || type == Character.ENCLOSING_MARK || type == Character.FORMAT)
        {
            return 0;
        }
        final boolean wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF && cp != 0x303F)
            || (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F)
            || (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1FAFF)
            || (cp >= 0x20000 && cp <= 0x3FFFD);
        return wide ? 2 : 1;
    }
}
