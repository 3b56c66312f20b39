package io.fuseengine.fuse.tree;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Turns untrusted path components from rqbit into safe, deterministic directory-entry names.
 * <ul>
 *   <li>{@code ""}, {@code "."}, {@code ".."} become {@code "_"}, {@code "_."}, {@code "_.."};</li>
 *   <li>'/', NUL, control characters (&lt; 0x20 and 0x7f) and lone UTF-16 surrogates become '_';</li>
 *   <li>names longer than {@value #MAX_NAME_BYTES} UTF-8 bytes are cut at a code-point boundary, keeping the
 *       extension and inserting {@code "~"} + 8 hex digits of a SHA-256 of the original component.</li>
 * </ul>
 * The same input always gives the same output. A sanitised name never contains '/' or NUL and is never
 * {@code "."} or {@code ".."}, so it can never escape its directory.
 * <p>
 * Threads: stateless, any thread.
 */
public final class NameSanitizer
{
    /** Linux NAME_MAX. */
    public static final int MAX_NAME_BYTES = 255;
    /** Longest extension (in UTF-8 bytes, dot included) kept when a name is truncated. */
    static final int MAX_EXTENSION_BYTES = 32;

    private NameSanitizer()
    {
    }

    /**
     * @param raw one path component as rqbit sent it (may be null).
     * @return a safe name of at most 255 UTF-8 bytes.
     */
    public static String sanitize(final String raw)
    {
        if (raw == null || raw.isEmpty())
        {
            return "_";
        }
        if (raw.equals("."))
        {
            return "_.";
        }
        if (raw.equals(".."))
        {
            return "_..";
        }
        final StringBuilder sb = new StringBuilder(raw.length());
        for (int i = 0; i < raw.length(); i++)
        {
            final char c = raw.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < raw.length() && Character.isLowSurrogate(raw.charAt(i + 1)))
            {
                sb.append(c).append(raw.charAt(i + 1));
                i++;
            }
            else if (c == '/' || c < 0x20 || c == 0x7f || Character.isSurrogate(c))
            {
                sb.append('_');
            }
            else
            {
                sb.append(c);
            }
        }
        final String s = sb.toString();
        if (utf8Length(s) <= MAX_NAME_BYTES)
        {
            return s;
        }
        return truncate(s, "~" + shortHash(raw));
    }

    /**
     * Makes the {@code n}-th name of a clash: {@code "a.mkv"} → {@code "a (2).mkv"}; directories get the suffix
     * at the end. The result still fits in 255 bytes.
     *
     * @param name          a sanitised name.
     * @param n             2, 3, ...
     * @param keepExtension true for files.
     */
    public static String withSuffix(final String name, final int n, final boolean keepExtension)
    {
        final String suffix = " (" + n + ")";
        final int dot = keepExtension ? extensionStart(name) : -1;
        final String candidate = dot < 0
            ? name + suffix
            : name.substring(0, dot) + suffix + name.substring(dot);
        if (utf8Length(candidate) <= MAX_NAME_BYTES)
        {
            return candidate;
        }
        return keepExtension ? truncate(name, suffix) : cutToBytes(name, MAX_NAME_BYTES - utf8Length(suffix)) + suffix;
    }

    /**
     * Cuts {@code name} so that stem + marker + extension fits in 255 bytes.
     */
    static String truncate(final String name, final String marker)
    {
        final int dot = extensionStart(name);
        final String ext = dot < 0 ? "" : name.substring(dot);
        final String stem = dot < 0 ? name : name.substring(0, dot);
        final int budget = MAX_NAME_BYTES - utf8Length(marker) - utf8Length(ext);
        return cutToBytes(stem, budget) + marker + ext;
    }

    /**
     * @return index of the extension's dot, or -1 when there is none worth keeping (no dot, a leading dot only,
     *         or an extension longer than {@value #MAX_EXTENSION_BYTES} bytes).
     */
    static int extensionStart(final String name)
    {
        final int dot = name.lastIndexOf('.');
        if (dot <= 0 || dot == name.length() - 1)
        {
            return -1;
        }
        return utf8Length(name.substring(dot)) <= MAX_EXTENSION_BYTES ? dot : -1;
    }

    /**
     * @return the longest prefix of {@code s} of at most {@code maxBytes} UTF-8 bytes, cut between code points.
     */
    static String cutToBytes(final String s, final int maxBytes)
    {
        int bytes = 0;
        int i = 0;
        while (i < s.length())
        {
            final int cp = s.codePointAt(i);
            final int len = utf8Length(cp);
            if (bytes + len > maxBytes)
            {
                break;
            }
            bytes += len;
            i += Character.charCount(cp);
        }
        return s.substring(0, i);
    }

    /**
     * @return the UTF-8 length of {@code s} (lone surrogates count as the 1-byte '?' Java encodes them as).
     */
    public static int utf8Length(final String s)
    {
        int bytes = 0;
        int i = 0;
        while (i < s.length())
        {
            final int cp = s.codePointAt(i);
            bytes += Character.isSurrogate((char)cp) ? 1 : utf8Length(cp);
            i += Character.charCount(cp);
        }
        return bytes;
    }

    private static int utf8Length(final int cp)
    {
        if (cp < 0x80)
        {
            return 1;
        }
        if (cp < 0x800)
        {
            return 2;
        }
        if (cp < 0x10000)
        {
            return 3;
        }
        return 4;
    }

    /**
     * @return 8 lowercase hex digits of SHA-256 of {@code raw}'s UTF-8 bytes.
     */
    static String shortHash(final String raw)
    {
        final byte[] d = sha256(raw);
        final StringBuilder sb = new StringBuilder(8);
        for (int i = 0; i < 4; i++)
        {
            sb.append(Character.forDigit((d[i] >> 4) & 0xf, 16)).append(Character.forDigit(d[i] & 0xf, 16));
        }
        return sb.toString();
    }

    static byte[] sha256(final String s)
    {
        try
        {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException("SHA-256 missing from the JDK", ex);
        }
    }
}
