package io.fuseengine.transport.fuzz;

import io.fuseengine.core.meta.MetadataException;
import io.fuseengine.core.meta.TorrentDetails;
import io.fuseengine.core.meta.TorrentFile;
import io.fuseengine.core.meta.TorrentSummary;
import io.fuseengine.core.read.StreamTarget;
import io.fuseengine.transport.RqbitHttpMetadata;
import io.fuseengine.transport.TorrentStats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Fuzzes the metadata documents rqbit sends (list, details, stats) through the public client, over a loopback
 * HTTP server that answers whatever body the test sets: random bytes, every truncation of valid documents, huge
 * and negative numbers, every field given every wrong type, deep nesting, bad encodings. Every input must either
 * give a document that passes validation or throw {@link MetadataException}; never another exception, never a
 * hang (each call is bounded by the metadata timeout, the whole run by a preemptive timeout).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MetadataFuzzTest
{
    private static final String HASH = "dd8255ecdc7ca55fb0bbf81323d87062db1f6d1c";
    private static final String LIST = "{\"torrents\":[{\"id\":0,\"info_hash\":\"" + HASH + "\",\"name\":\"Big Buck Bunny\","
        + "\"output_folder\":\"/data/Big Buck Bunny\"},{\"id\":7,\"info_hash\":\"0123456789abcdef0123456789abcdef01234567\"}]}";
    private static final String DETAILS = "{\"id\":0,\"info_hash\":\"" + HASH + "\",\"name\":\"Big Buck Bunny\","
        + "\"output_folder\":\"/data/Big Buck Bunny\",\"total_pieces\":1049,"
        + "\"files\":[{\"name\":\"poster.jpg\",\"components\":[\"poster.jpg\"],\"length\":310380,"
        + "\"included\":true,\"attributes\":{\"symlink\":false,\"hidden\":false,\"padding\":false,\"executable\":false}},"
        + "{\"name\":\"video/Big Buck Bunny.mp4\",\"components\":[\"video\",\"Big Buck Bunny.mp4\"],"
        + "\"length\":276134947,\"included\":true,\"attributes\":{\"symlink\":false,\"hidden\":false,\"padding\":false,\"executable\":false}}]}";
    private static final String STATS = "{\"state\":\"live\",\"file_progress\":[310380,120586240],\"error\":null,"
        + "\"progress_bytes\":120896620,\"uploaded_bytes\":0,\"total_bytes\":276445327,\"finished\":false,"
        + "\"live\":{\"snapshot\":{\"downloaded_and_checked_bytes\":120896620},"
        + "\"average_piece_download_time\":{\"secs\":0,\"nanos\":174000000}}}";

    /** Values substituted for every scalar of a valid document. */
    private static final String[] WRONG_VALUES = {
        "null", "true", "false", "0", "-1", "-9223372036854775808", "9223372036854775807", "9223372036854775808",
        "18446744073709551616", "123456789012345678901234567890", "1e308", "-1e308", "1e400", "1.5", "-0", "0.0",
        "\"\"", "\"x\"", "\"-1\"", "\"" + HASH.toUpperCase() + "\"", "[]", "[1]", "{}", "{\"a\":1}", "\"..\"", "\"/\"",
        "\"\\u0000\"", "\"\\ud800\"", "9007199254740993", "4503599627370496"};

    private FixedBodyServer server;
    private volatile byte[] body = new byte[0];
    private RqbitHttpMetadata meta;
    private int validated;
    private int rejected;

    @BeforeEach
    void setUp() throws Exception
    {
        server = new FixedBodyServer(() -> body);
        meta = new RqbitHttpMetadata(URI.create("http://127.0.0.1:" + server.port()), null, null,
            Duration.ofSeconds(2), Duration.ofSeconds(3));
    }

    @AfterEach
    void tearDown()
    {
        meta.close();
        server.close();
    }

    private enum Doc
    {
        LIST, DETAILS, STATS
    }

    /** Serves {@code input} and asks for {@code doc}: a validated document or a MetadataException, nothing else. */
    private void check(final Doc doc, final byte[] input)
    {
        body = input;
        try
        {
            switch (doc)
            {
                case LIST -> validList(meta.listTorrents());
                case DETAILS -> validDetails(meta.torrentDetails(HASH));
                case STATS -> validStats(meta.stats(HASH));
                default -> throw new IllegalStateException();
            }
            validated++;
        }
        catch (final MetadataException ex)
        {
            assertThat(ex.errno()).as("errno of a rejected document").isPositive();
            rejected++;
        }
        catch (final Throwable t)
        {
            throw new AssertionError(doc + " input (" + input.length + " bytes) '" + preview(input)
                + "' raised " + t + " instead of a MetadataException", t);
        }
    }

    private void check(final Doc doc, final String input)
    {
        check(doc, input.getBytes(StandardCharsets.UTF_8));
    }

    private static String preview(final byte[] b)
    {
        final String s = new String(b, 0, Math.min(b.length, 200), StandardCharsets.ISO_8859_1);
        return s.replaceAll("[^\\x20-\\x7e]", "?");
    }

    private static void validList(final List<TorrentSummary> list)
    {
        for (final TorrentSummary s : list)
        {
            assertThat(StreamTarget.isInfoHash(s.infoHash())).as("info hash %s", s.infoHash()).isTrue();
            assertThat(s.id()).isGreaterThanOrEqualTo(-1);
        }
        assertThat(list.stream().map(TorrentSummary::infoHash).distinct().count()).isEqualTo(list.size());
    }

    private static void validDetails(final TorrentDetails d)
    {
        assertThat(d.infoHash()).isEqualTo(HASH);
        assertThat(d.totalPieces()).isGreaterThanOrEqualTo(-1);
        long total = 0;
        for (final TorrentFile f : d.files())
        {
            assertThat(f.length()).isBetween(0L, 1L << 53);
            assertThat(f.components()).isNotEmpty().doesNotContainNull();
            total += f.length();
        }
        assertThat(total).isBetween(0L, 1L << 53);
    }

    private static void validStats(final TorrentStats s)
    {
        assertThat(s).isNotNull();
    }

    private static String template(final Doc doc)
    {
        return switch (doc)
        {
            case LIST -> LIST;
            case DETAILS -> DETAILS;
            case STATS -> STATS;
        };
    }

    @Test
    void everyTruncationOfAValidDocumentIsRejectedCleanly()
    {
        assertTimeoutPreemptively(Duration.ofSeconds(90), () ->
        {
            for (final Doc doc : Doc.values())
            {
                final byte[] full = template(doc).getBytes(StandardCharsets.UTF_8);
                final int rejectedBefore = rejected;
                check(doc, full);
                assertThat(rejected).as("the untruncated %s document is valid", doc).isEqualTo(rejectedBefore);
                for (int len = 0; len < full.length; len++)
                {
                    check(doc, java.util.Arrays.copyOf(full, len));
                }
            }
        });
        assertThat(validated).isEqualTo(3);
        assertThat(rejected).isPositive();
    }

    @Test
    void everyScalarReplacedByEveryWrongValueGivesAValidDocumentOrAMetadataException()
    {
        assertTimeoutPreemptively(Duration.ofSeconds(90), () ->
        {
            for (final Doc doc : Doc.values())
            {
                for (final String variant : scalarVariants(template(doc)))
                {
                    check(doc, variant);
                }
            }
        });
        assertThat(validated + rejected).isGreaterThan(1000);
        assertThat(rejected).isPositive();
    }

    /** Each scalar value (string, number, literal) of the JSON text replaced, one at a time, by each wrong value. */
    private static List<String> scalarVariants(final String json)
    {
        final List<int[]> spans = new ArrayList<>();
        int i = 0;
        while (i < json.length())
        {
            final char c = json.charAt(i);
            if (c == '"')
            {
                int j = i + 1;
                while (json.charAt(j) != '"')
                {
                    j += json.charAt(j) == '\\' ? 2 : 1;
                }
                // a value, not a key: the next non-space character is not ':'
                int k = j + 1;
                while (k < json.length() && json.charAt(k) == ' ')
                {
                    k++;
                }
                if (k >= json.length() || json.charAt(k) != ':')
                {
                    spans.add(new int[] {i, j + 1});
                }
                i = j + 1;
            }
            else if (c == '-' || Character.isDigit(c) || c == 't' || c == 'f' || c == 'n')
            {
                int j = i;
                while (j < json.length() && ",}] ".indexOf(json.charAt(j)) < 0)
                {
                    j++;
                }
                spans.add(new int[] {i, j});
                i = j;
            }
            else
            {
                i++;
            }
        }
        final List<String> out = new ArrayList<>();
        for (final int[] span : spans)
        {
            for (final String v : WRONG_VALUES)
            {
                out.add(json.substring(0, span[0]) + v + json.substring(span[1]));
            }
        }
        return out;
    }

    @Test
    void randomBytesAndMutatedDocumentsNeverEscapeAsAnotherException()
    {
        final Random random = new Random(0x5eedL);
        assertTimeoutPreemptively(Duration.ofSeconds(90), () ->
        {
            for (int n = 0; n < 300; n++)
            {
                final byte[] noise = new byte[random.nextInt(600)];
                random.nextBytes(noise);
                check(Doc.values()[n % 3], noise);
            }
            for (int n = 0; n < 600; n++)
            {
                final Doc doc = Doc.values()[n % 3];
                final byte[] b = template(doc).getBytes(StandardCharsets.UTF_8);
                final int flips = 1 + random.nextInt(4);
                for (int f = 0; f < flips; f++)
                {
                    b[random.nextInt(b.length)] = (byte)(random.nextBoolean() ? random.nextInt(256) : "{}[],:\"0-e.\\".charAt(random.nextInt(12)));
                }
                check(doc, b);
            }
        });
        assertThat(rejected).isPositive();
    }

    @Test
    void hostileShapesAreBoundedAndRejectedOrValidated()
    {
        final List<String> hostile = new ArrayList<>();
        hostile.add("[".repeat(100_000) + "]".repeat(100_000));
        hostile.add("{\"a\":".repeat(50_000) + "1" + "}".repeat(50_000));
        hostile.add("{\"torrents\":" + "[".repeat(5_000) + "]".repeat(5_000) + "}");
        hostile.add("{\"files\":[{\"components\":[\"a\"],\"length\":" + "9".repeat(100_000) + "}]}");
        hostile.add("{\"files\":[{\"components\":[\"a\"],\"length\":1e999999999}]}");
        hostile.add("{\"files\":[{\"components\":[\"a\"],\"length\":-0.0}]}");
        hostile.add("{\"files\":[{\"components\":[\"a\"],\"length\":NaN}]}");
        hostile.add("{\"files\":[{\"components\":[\"a\"],\"length\":Infinity}]}");
        hostile.add("{\"files\":[{\"components\":[\"a\"],\"length\":0x10}]}");
        hostile.add("{\"files\":[{\"components\":[\"" + "x".repeat(2_000_000) + "\"],\"length\":1}]}");
        hostile.add("{\"files\":[{\"components\":[\"a\"],\"length\":-1}]}");
        hostile.add("{\"files\":[{\"components\":[\"a\"],\"length\":-9223372036854775808}]}");
        hostile.add("{\"torrents\":[" + ("{\"id\":1,\"info_hash\":\"" + HASH + "\"},").repeat(20_000) + "{}]}");
        hostile.add("{\"total_pieces\":2147483648,\"files\":[]}");
        hostile.add("{\"state\":\"live\",\"file_progress\":[-1]}");
        hostile.add("{\"state\":\"live\",\"file_progress\":{\"0\":1}}");
        hostile.add("{\"state\":[],\"finished\":\"yes\"}");
        hostile.add("\uFEFF{\"torrents\":[]}");
        hostile.add("{\"torrents\":[]}\u0000");
        hostile.add("/* comment */ {\"torrents\":[]}");
        hostile.add("{'torrents':[]}");
        hostile.add("{\"torrents\":[],}");
        hostile.add("{\"torrents\":[{\"info_hash\":\"" + HASH + "\",\"id\":1,\"id\":2}]}");
        final List<byte[]> raw = new ArrayList<>();
        for (final String h : hostile)
        {
            raw.add(h.getBytes(StandardCharsets.UTF_8));
        }
        raw.add("{\"torrents\":[]}".getBytes(StandardCharsets.UTF_16));
        raw.add("{\"torrents\":[]}".getBytes(StandardCharsets.UTF_16LE));
        raw.add(new byte[] {'{', '"', 'n', 'a', 'm', 'e', '"', ':', '"', (byte)0xC3, (byte)0x28, '"', ',', '"', 'f', 'i', 'l', 'e', 's', '"', ':', '[', ']', '}'});
        raw.add(new byte[] {'{', '"', (byte)0xFF, (byte)0xFE, '"', ':', '1', '}'});
        assertTimeoutPreemptively(Duration.ofSeconds(90), () ->
        {
            for (final byte[] b : raw)
            {
                for (final Doc doc : Doc.values())
                {
                    check(doc, b);
                }
            }
        });
        assertThat(rejected).isPositive();
    }
}
