package io.fuseengine.fuse.tree;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class NameSanitizerTest
{
    @Test
    void dotAndEmptyComponentsAreReplaced()
    {
        assertThat(NameSanitizer.sanitize("")).isEqualTo("_");
        assertThat(NameSanitizer.sanitize(null)).isEqualTo("_");
        assertThat(NameSanitizer.sanitize(".")).isEqualTo("_.");
        assertThat(NameSanitizer.sanitize("..")).isEqualTo("_..");
        assertThat(NameSanitizer.sanitize("...")).isEqualTo("...");
        assertThat(NameSanitizer.sanitize(".hidden")).isEqualTo(".hidden");
    }

    @Test
    void slashNulAndControlCharactersBecomeUnderscores()
    {
        assertThat(NameSanitizer.sanitize("../../etc/passwd")).isEqualTo(".._.._etc_passwd");
        assertThat(NameSanitizer.sanitize("a\0b")).isEqualTo("a_b");
        assertThat(NameSanitizer.sanitize("tab\there\nnl\u007f")).isEqualTo("tab_here_nl_");
        assertThat(NameSanitizer.sanitize("lone\uD800surrogate")).isEqualTo("lone_surrogate");
    }

    @Test
    void unicodeIsKeptAsIs()
    {
        assertThat(NameSanitizer.sanitize("Amélie — 東京 🎬.mkv")).isEqualTo("Amélie — 東京 🎬.mkv");
    }

    @Test
    void longNamesAreCutAtCodePointBoundaryKeepingExtensionAndAddingStableHash()
    {
        final String raw = "é".repeat(100) + "🎬".repeat(40) + ".mkv";
        final String a = NameSanitizer.sanitize(raw);
        final String b = NameSanitizer.sanitize(raw);
        assertThat(a).isEqualTo(b);
        assertThat(a.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(255);
        assertThat(a).endsWith(".mkv").matches("(?s).*~[0-9a-f]{8}\\.mkv");
        assertThat(a).doesNotContain("\uFFFD");
        assertThat(new String(a.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8)).isEqualTo(a);
        // two long names differing only past the cut stay different
        final String other = NameSanitizer.sanitize("é".repeat(100) + "🎬".repeat(41) + ".mkv");
        assertThat(other).isNotEqualTo(a);
    }

    @Test
    void nameOfExactly255BytesIsNotTouched()
    {
        final String raw = "a".repeat(251) + ".bin";
        assertThat(NameSanitizer.sanitize(raw)).isEqualTo(raw);
        assertThat(NameSanitizer.sanitize(raw + "x")).hasSizeLessThanOrEqualTo(255).contains("~");
    }

    @Test
    void clashSuffixGoesBeforeTheExtensionOfFilesAndAtTheEndOfDirectories()
    {
        assertThat(NameSanitizer.withSuffix("movie.mkv", 2, true)).isEqualTo("movie (2).mkv");
        assertThat(NameSanitizer.withSuffix("movie.mkv", 3, false)).isEqualTo("movie.mkv (3)");
        assertThat(NameSanitizer.withSuffix(".hidden", 2, true)).isEqualTo(".hidden (2)");
        final String longName = "x".repeat(251) + ".bin";
        final String suffixed = NameSanitizer.withSuffix(longName, 2, true);
        assertThat(suffixed.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(255);
        assertThat(suffixed).endsWith(" (2).bin");
    }
}
