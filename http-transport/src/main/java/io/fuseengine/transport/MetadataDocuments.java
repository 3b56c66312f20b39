package io.fuseengine.transport;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.fuseengine.core.meta.TorrentDetails;
import io.fuseengine.core.meta.TorrentFile;
import io.fuseengine.core.meta.TorrentSummary;
import io.fuseengine.core.read.StreamTarget;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Parses and validates rqbit's JSON documents. The documents are untrusted: every field used is type-checked and
 * range-checked, unknown fields are ignored, optional fields may be missing (rqbit 7 sends far fewer), and anything
 * that does not fit raises {@link InvalidDocumentException} with a message naming the field.
 * <p>
 * Threads: any (stateless; the mapper is thread-safe once configured).
 */
final class MetadataDocuments
{
    /** Largest length or offset accepted: 2^53 (exact in a double, far beyond any real torrent). */
    static final long MAX_LENGTH = 1L << 53;

    private static final ObjectMapper MAPPER = JsonMapper.builder()
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .build();

    private MetadataDocuments()
    {
    }

    /** A document that is not valid JSON or does not have the shape and ranges we accept. */
    static final class InvalidDocumentException extends Exception
    {
        private static final long serialVersionUID = 1L;

        InvalidDocumentException(final String message)
        {
            super(message);
        }

        InvalidDocumentException(final String message, final Throwable cause)
        {
            super(message, cause);
        }
    }

    static JsonNode parse(final byte[] body) throws InvalidDocumentException
    {
        try
        {
            final JsonNode root = MAPPER.readTree(body);
            if (root == null || root.isMissingNode())
            {
                throw new InvalidDocumentException("empty document");
            }
            return root;
        }
        catch (final JsonProcessingException ex)
        {
            throw new InvalidDocumentException("malformed JSON: " + firstLine(ex.getOriginalMessage()), ex);
        }
        catch (final IOException ex)
        {
            throw new InvalidDocumentException("unreadable JSON: " + ex.getMessage(), ex);
        }
    }

    /** {@code GET /torrents}. */
    static List<TorrentSummary> torrentList(final JsonNode root) throws InvalidDocumentException
    {
        requireObject(root, "document");
        final JsonNode torrents = root.get("torrents");
        if (torrents == null || !torrents.isArray())
        {
            throw new InvalidDocumentException("'torrents' is missing or not an array");
        }
        final List<TorrentSummary> out = new ArrayList<>(torrents.size());
        final Set<String> seen = new HashSet<>();
        for (int i = 0; i < torrents.size(); i++)
        {
            final JsonNode item = torrents.get(i);
            final String where = "torrents[" + i + "]";
            requireObject(item, where);
            final String infoHash = infoHash(item.get("info_hash"), where + ".info_hash");
            final long id = optionalNonNegative(item.get("id"), where + ".id", Long.MAX_VALUE, -1);
            final String name = optionalText(item.get("name"), where + ".name");
            if (seen.add(infoHash))
            {
                out.add(new TorrentSummary(id, infoHash, name));
            }
        }
        return out;
    }

    /** {@code GET /torrents/{infoHash}}. */
    static TorrentDetails torrentDetails(final JsonNode root, final String expectedInfoHash)
        throws InvalidDocumentException
    {
        requireObject(root, "document");
        final JsonNode hashNode = root.get("info_hash");
        final String infoHash = hashNode == null || hashNode.isNull()
            ? expectedInfoHash : infoHash(hashNode, "info_hash");
        if (!infoHash.equals(expectedInfoHash))
        {
            throw new InvalidDocumentException("info_hash " + infoHash + " is not the torrent asked for ("
                + expectedInfoHash + ")");
        }
        final String name = optionalText(root.get("name"), "name");
        final int totalPieces = (int)optionalNonNegative(root.get("total_pieces"), "total_pieces", Integer.MAX_VALUE, -1);
        final JsonNode files = root.get("files");
        if (files == null || !files.isArray())
        {
            throw new InvalidDocumentException("'files' is missing or not an array");
        }
        final List<TorrentFile> out = new ArrayList<>(files.size());
        long total = 0;
        for (int i = 0; i < files.size(); i++)
        {
            final TorrentFile f = file(files.get(i), i);
            total += f.length();
            if (total > MAX_LENGTH)
            {
                throw new InvalidDocumentException("total length of the files exceeds 2^53 bytes");
            }
            out.add(f);
        }
        return new TorrentDetails(infoHash, name, totalPieces, out);
    }

    private static TorrentFile file(final JsonNode f, final int index) throws InvalidDocumentException
    {
        final String where = "files[" + index + "]";
        requireObject(f, where);
        final long length = requiredNonNegative(f.get("length"), where + ".length", MAX_LENGTH);
        final String name = optionalText(f.get("name"), where + ".name");
        final JsonNode componentsNode = f.get("components");
        final List<String> components;
        if (componentsNode == null || componentsNode.isNull())
        {
            if (name == null || name.isEmpty())
            {
                throw new InvalidDocumentException(where + " has neither 'components' nor 'name'");
            }
            components = new ArrayList<>();
            for (final String part : name.split("/"))
            {
                if (!part.isEmpty())
                {
                    components.add(part);
                }
            }
            if (components.isEmpty())
            {
                throw new InvalidDocumentException(where + ".name '" + StreamConnection.sanitize(name)
                    + "' has no path component");
            }
        }
        else
        {
            if (!componentsNode.isArray() || componentsNode.isEmpty())
            {
                throw new InvalidDocumentException(where + ".components is not a non-empty array");
            }
            components = new ArrayList<>(componentsNode.size());
            for (int c = 0; c < componentsNode.size(); c++)
            {
                final JsonNode part = componentsNode.get(c);
                if (part == null || !part.isTextual())
                {
                    throw new InvalidDocumentException(where + ".components[" + c + "] is not a string");
                }
                components.add(part.textValue());
            }
        }
        final boolean included = optionalBoolean(f.get("included"), where + ".included", true);
        final boolean padding;
        final JsonNode attributes = f.get("attributes");
        if (attributes != null && !attributes.isNull())
        {
            requireObject(attributes, where + ".attributes");
            padding = optionalBoolean(attributes.get("padding"), where + ".attributes.padding", false);
        }
        else
        {
            // rqbit 7 sends no attributes: recognise BEP 47 padding files by their conventional path .pad/<length>
            padding = looksLikePadding(components, length);
        }
        return new TorrentFile(index, name != null ? name : String.join("/", components), components, length,
            included, padding);
    }

    /**
     * @return true for components {@code [".pad", "<length>"]}, the path BEP 47 gives padding files.
     */
    static boolean looksLikePadding(final List<String> components, final long length)
    {
        return components.size() == 2 && ".pad".equals(components.get(0))
            && Long.toString(length).equals(components.get(1));
    }

    /** {@code GET /torrents/{infoHash}/stats/v1}. */
    static TorrentStats stats(final JsonNode root) throws InvalidDocumentException
    {
        requireObject(root, "document");
        final String state = optionalText(root.get("state"), "state");
        final long progress = optionalNonNegative(root.get("progress_bytes"), "progress_bytes", MAX_LENGTH, 0);
        final long total = optionalNonNegative(root.get("total_bytes"), "total_bytes", MAX_LENGTH, 0);
        final boolean finished = optionalBoolean(root.get("finished"), "finished", false);
        final JsonNode fp = root.get("file_progress");
        long[] fileProgress = new long[0];
        if (fp != null && !fp.isNull())
        {
            if (!fp.isArray())
            {
                throw new InvalidDocumentException("file_progress is not an array");
            }
            fileProgress = new long[fp.size()];
            for (int i = 0; i < fileProgress.length; i++)
            {
                fileProgress[i] = requiredNonNegative(fp.get(i), "file_progress[" + i + "]", MAX_LENGTH);
            }
        }
        double mibps = 0;
        int peers = -1;
        final JsonNode live = root.get("live");
        if (live != null && live.isObject())
        {
            final JsonNode speed = live.path("download_speed").path("mbps");
            if (speed.isNumber() && Double.isFinite(speed.doubleValue()) && speed.doubleValue() >= 0)
            {
                mibps = speed.doubleValue();
            }
            final JsonNode p = live.path("snapshot").path("peer_stats").path("live");
            if (p.isIntegralNumber() && p.canConvertToInt() && p.intValue() >= 0)
            {
                peers = p.intValue();
            }
        }
        return new TorrentStats(state == null ? "unknown" : state, progress, total, finished, fileProgress, mibps, peers);
    }

    /** Answer of {@code POST /torrents}: {@code {"id":N,"details":{...},"output_folder":"..."}}. */
    static AddedTorrent added(final JsonNode root) throws InvalidDocumentException
    {
        requireObject(root, "document");
        final long id = optionalNonNegative(root.get("id"), "id", Long.MAX_VALUE, -1);
        final JsonNode details = root.get("details");
        requireObject(details, "details");
        final String infoHash = infoHash(details.get("info_hash"), "details.info_hash");
        final String name = optionalText(details.get("name"), "details.name");
        final String folder = optionalText(root.get("output_folder"), "output_folder");
        return new AddedTorrent(id, infoHash, name, folder);
    }

    /**
     * @return the {@code human_readable} text of an rqbit error document (sanitised, at most 300 characters), or
     * null if the body is not one.
     */
    static String errorMessage(final byte[] body)
    {
        if (body == null || body.length == 0)
        {
            return null;
        }
        try
        {
            final JsonNode root = MAPPER.readTree(body);
            final JsonNode h = root == null ? null : root.get("human_readable");
            if (h == null || !h.isTextual() || h.textValue().isBlank())
            {
                return null;
            }
            final String text = StreamConnection.sanitize(h.textValue());
            return text.length() > 300 ? text.substring(0, 300) + "..." : text;
        }
        catch (final IOException | RuntimeException ex)
        {
            return null;
        }
    }

    /**
     * @return true if {@code body} is rqbit's error document for an unknown torrent ({@code error_kind}
     * {@code torrent_not_found}), as opposed to the empty 404 of a route the daemon does not have.
     */
    static boolean isTorrentNotFound(final byte[] body)
    {
        if (body == null || body.length == 0)
        {
            return false;
        }
        try
        {
            final JsonNode root = MAPPER.readTree(body);
            final JsonNode kind = root == null ? null : root.get("error_kind");
            return kind != null && "torrent_not_found".equals(kind.asText());
        }
        catch (final IOException | RuntimeException ex)
        {
            return false;
        }
    }

    /**
     * @return the info hash in lower case.
     */
    static String infoHash(final JsonNode node, final String where) throws InvalidDocumentException
    {
        if (node == null || !node.isTextual())
        {
            throw new InvalidDocumentException(where + " is missing or not a string");
        }
        final String h = node.textValue().toLowerCase(Locale.ROOT);
        if (!StreamTarget.isInfoHash(h))
        {
            throw new InvalidDocumentException(where + " '" + StreamConnection.sanitize(node.textValue())
                + "' is not 40 hex characters");
        }
        return h;
    }

    private static void requireObject(final JsonNode node, final String where) throws InvalidDocumentException
    {
        if (node == null || !node.isObject())
        {
            throw new InvalidDocumentException(where + " is not a JSON object");
        }
    }

    private static String optionalText(final JsonNode node, final String where) throws InvalidDocumentException
    {
        if (node == null || node.isNull())
        {
            return null;
        }
        if (!node.isTextual())
        {
            throw new InvalidDocumentException(where + " is not a string");
        }
        return node.textValue();
    }

    private static boolean optionalBoolean(final JsonNode node, final String where, final boolean absent)
        throws InvalidDocumentException
    {
        if (node == null || node.isNull())
        {
            return absent;
        }
        if (!node.isBoolean())
        {
            throw new InvalidDocumentException(where + " is not a boolean");
        }
        return node.booleanValue();
    }

    private static long optionalNonNegative(final JsonNode node, final String where, final long max, final long absent)
        throws InvalidDocumentException
    {
        if (node == null || node.isNull())
        {
            return absent;
        }
        return requiredNonNegative(node, where, max);
    }

    private static long requiredNonNegative(final JsonNode node, final String where, final long max)
        throws InvalidDocumentException
    {
        if (node == null || node.isNull())
        {
            throw new InvalidDocumentException(where + " is missing");
        }
        if (!node.isIntegralNumber() || !node.canConvertToLong())
        {
            throw new InvalidDocumentException(where + " is not a whole number in range: "
                + StreamConnection.sanitize(node.toString()));
        }
        final long v = node.longValue();
        if (v < 0 || v > max)
        {
            throw new InvalidDocumentException(where + " = " + v + " is outside [0, " + max + "]");
        }
        return v;
    }

    private static String firstLine(final String s)
    {
        if (s == null)
        {
            return "(no detail)";
        }
        final int nl = s.indexOf('\n');
        return StreamConnection.sanitize(nl < 0 ? s : s.substring(0, nl));
    }
}
