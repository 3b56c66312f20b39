package io.fuseengine.transport;

import io.fuseengine.core.config.EngineConfig;
import io.fuseengine.core.errno.Errno;
import io.fuseengine.core.meta.MetadataException;
import io.fuseengine.core.meta.RqbitMetadata;
import io.fuseengine.core.meta.TorrentDetails;
import io.fuseengine.core.meta.TorrentHaves;
import io.fuseengine.core.meta.TorrentProgress;
import io.fuseengine.core.meta.TorrentSummary;
import io.fuseengine.core.read.StreamTarget;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * rqbit's metadata API over {@link HttpClient}: torrent list, details, stats, piece bitfield and piece length, add,
 * forget. Every call has one deadline
 * (the metadata timeout) covering connect, headers and body, and returns a validated document or throws a
 * {@link MetadataException} carrying the errno: 401/403 → EACCES, 404 → ENOENT, timeout → ETIMEDOUT, unreachable,
 * 5xx, malformed or invalid document → EIO. Invalid documents are logged at WARN with the URL (never credentials:
 * they travel in a pre-emptive {@code Authorization} header, and any user-info in the URL is stripped from logs).
 * <p>
 * <p>
 * {@code /haves} and {@code /metadata} are optional: a daemon that answers 404 without naming the torrent (rqbit 7
 * has neither route), or a {@code /haves} that is not a bitfield, is remembered as not having it and not asked
 * again (ENOSYS without a request) for the life of this client.
 * <p>
 * Threads: all methods are thread-safe and block the caller (catalog refresher, piece refresher, CLI) for at most
 * the metadata timeout.
 */
public final class RqbitHttpMetadata implements RqbitMetadata
{
    private static final Logger LOG = LoggerFactory.getLogger(RqbitHttpMetadata.class);
    /** Largest document accepted (a details document of a torrent with ~100k files is a few MB). */
    static final int MAX_DOCUMENT_BYTES = 32 * 1024 * 1024;
    private static final AtomicInteger THREAD_IDS = new AtomicInteger();

    private final String baseUrl;
    private final String logBaseUrl;
    private final String authorization;
    private final Duration timeout;
    private final ExecutorService executor;
    private final HttpClient client;
    private volatile String havesUnsupported;
    private volatile String metadataUnsupported;

    /**
     * @param config URL, credentials, connect and metadata timeouts.
     */
    public RqbitHttpMetadata(final EngineConfig config)
    {
        this(config.rqbitUrl(), config.rqbitUser(), config.rqbitPassword(), config.connectTimeout(),
            config.metadataTimeout());
    }

    /**
     * @param baseUrl         rqbit's API root, e.g. {@code http://127.0.0.1:3030}.
     * @param user            basic-auth user, or null.
     * @param password        basic-auth password, or null.
     * @param connectTimeout  TCP connect timeout.
     * @param metadataTimeout deadline of every call.
     */
    public RqbitHttpMetadata(
        final URI baseUrl, final String user, final String password, final Duration connectTimeout,
        final Duration metadataTimeout)
    {
        Objects.requireNonNull(baseUrl, "baseUrl");
        if ((user == null) != (password == null))
        {
            throw new IllegalArgumentException("basic-auth user and password go together");
        }
        String s = baseUrl.toString();
        while (s.endsWith("/"))
        {
            s = s.substring(0, s.length() - 1);
        }
        this.baseUrl = s;
        this.logBaseUrl = TransportOptions.redact(URI.create(s));
        this.authorization = user == null ? null : TransportOptions.basicAuthorization(user, password);
        this.timeout = Objects.requireNonNull(metadataTimeout, "metadataTimeout");
        this.executor = Executors.newCachedThreadPool(r ->
        {
            final Thread t = new Thread(r, "fe-meta-" + THREAD_IDS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Objects.requireNonNull(connectTimeout, "connectTimeout"))
            .followRedirects(HttpClient.Redirect.NEVER)
            .executor(executor)
            .build();
    }

    @Override
    public List<TorrentSummary> listTorrents() throws MetadataException
    {
        final String path = "/torrents";
        final byte[] body = get(path);
        try
        {
            return MetadataDocuments.torrentList(MetadataDocuments.parse(body));
        }
        catch (final MetadataDocuments.InvalidDocumentException ex)
        {
            throw invalid(path, ex);
        }
    }

    @Override
    public TorrentDetails torrentDetails(final String infoHash) throws MetadataException
    {
        final String hash = checkInfoHash(infoHash);
        final String path = "/torrents/" + hash;
        final byte[] body = get(path);
        try
        {
            return MetadataDocuments.torrentDetails(MetadataDocuments.parse(body), hash);
        }
        catch (final MetadataDocuments.InvalidDocumentException ex)
        {
            throw invalid(path, ex);
        }
    }

    /**
     * {@code GET /torrents/{infoHash}/stats/v1}.
     */
    public TorrentStats stats(final String infoHash) throws MetadataException
    {
        final String path = "/torrents/" + checkInfoHash(infoHash) + "/stats/v1";
        final byte[] body = get(path);
        try
        {
            return MetadataDocuments.stats(MetadataDocuments.parse(body));
        }
        catch (final MetadataDocuments.InvalidDocumentException ex)
        {
            throw invalid(path, ex);
        }
    }

    /**
     * {@link #stats} reduced to what the mount shows.
     */
    @Override
    public TorrentProgress progress(final String infoHash) throws MetadataException
    {
        return stats(infoHash).toProgress();
    }

    /**
     * {@code GET /torrents/{infoHash}/haves} with {@code Accept: application/octet-stream}: rqbit 9 answers the raw
     * bitfield with {@code x-bitfield-len}, rqbit 8 a {@code text/plain} dump (see {@link PieceDocuments}).
     *
     * @throws MetadataException ENOSYS if this daemon has no usable bitfield (remembered), ENOENT for an unknown
     *                           torrent, EIO for a malformed bitfield, or any other failure.
     */
    @Override
    public TorrentHaves haves(final String infoHash) throws MetadataException
    {
        final String path = "/torrents/" + checkInfoHash(infoHash) + "/haves";
        final String unsupported = havesUnsupported;
        if (unsupported != null)
        {
            throw new MetadataException(Errno.ENOSYS, "GET " + logBaseUrl + path + ": " + unsupported);
        }
        final HttpResponse<byte[]> response = send(path, "GET", null, timeout, PieceDocuments.OCTET_STREAM);
        final int status = response.statusCode();
        if (status == 404 && !MetadataDocuments.isTorrentNotFound(response.body()))
        {
            throw unsupported(path, true, "HTTP 404 for the route (rqbit older than 8 has no piece bitfield)");
        }
        if (status != 200)
        {
            throw statusFailure("GET", path, status);
        }
        try
        {
            return PieceDocuments.haves(response.headers().firstValue("content-type").orElse(null),
                response.headers().firstValue(PieceDocuments.BITFIELD_LEN_HEADER).orElse(null), response.body());
        }
        catch (final PieceDocuments.NotABitfieldException ex)
        {
            throw unsupported(path, true, ex.getMessage());
        }
        catch (final MetadataDocuments.InvalidDocumentException ex)
        {
            throw invalid(path, ex);
        }
    }

    /**
     * {@code GET /torrents/{infoHash}/metadata}: the {@code piece length} of the bencoded info dictionary.
     *
     * @throws MetadataException ENOSYS if this daemon does not serve it (remembered), ENOENT for an unknown torrent,
     *                           EIO for a malformed document, or any other failure.
     */
    @Override
    public long pieceLength(final String infoHash) throws MetadataException
    {
        final String path = "/torrents/" + checkInfoHash(infoHash) + "/metadata";
        final String unsupported = metadataUnsupported;
        if (unsupported != null)
        {
            throw new MetadataException(Errno.ENOSYS, "GET " + logBaseUrl + path + ": " + unsupported);
        }
        final HttpResponse<byte[]> response = send(path, "GET", null, timeout,
            "application/x-bittorrent, application/octet-stream");
        final int status = response.statusCode();
        if (status == 404 && !MetadataDocuments.isTorrentNotFound(response.body()))
        {
            throw unsupported(path, false, "HTTP 404 for the route (rqbit older than 8 does not serve metadata)");
        }
        if (status != 200)
        {
            throw statusFailure("GET", path, status);
        }
        try
        {
            return PieceDocuments.pieceLength(response.body());
        }
        catch (final MetadataDocuments.InvalidDocumentException ex)
        {
            throw invalid(path, ex);
        }
    }

    private MetadataException unsupported(final String path, final boolean haves, final String why)
    {
        final String what = "not supported by this rqbit: " + why;
        if (haves)
        {
            havesUnsupported = what;
        }
        else
        {
            metadataUnsupported = what;
        }
        LOG.info("GET {}{}: {}; not asked again", logBaseUrl, path, what);
        return new MetadataException(Errno.ENOSYS, "GET " + logBaseUrl + path + ": " + what);
    }

    /**
     * {@code POST /torrents/{infoHash}/forget}: removes the torrent from rqbit's session, keeping its files.
     *
     * @return true if rqbit forgot it; false if rqbit did not know it (rqbit answers 500 for an unknown id, or 404).
     * @throws MetadataException unreachable, timed out, refused (EACCES) or any other failure.
     */
    @Override
    public boolean forget(final String infoHash) throws MetadataException
    {
        final String path = "/torrents/" + checkInfoHash(infoHash) + "/forget";
        final HttpResponse<byte[]> response = send(path, "POST");
        final int status = response.statusCode();
        if (status / 100 == 2)
        {
            return true;
        }
        if (status == 404 || status == 500)
        {
            LOG.debug("POST {}{}: HTTP {}, torrent not known", logBaseUrl, path, status);
            return false;
        }
        throw statusFailure("POST", path, status);
    }

    /**
     * {@code POST /torrents}: adds a torrent. rqbit resolves a magnet (or fetches a URL) before it answers, which
     * can take long: this call has its own deadline. Re-adding a torrent rqbit already has answers the existing one.
     *
     * @param body    the magnet link or http(s) URL as UTF-8 text, or the raw bytes of a .torrent file.
     * @param isUrl   true for an http(s) URL of a .torrent ({@code is_url=true}).
     * @param timeout deadline of the whole call.
     * @return the torrent rqbit added (or already had).
     * @throws MetadataException carrying rqbit's own message ({@code human_readable}) when it refuses: EACCES
     *                           for 401/403, EINVAL for other 4xx, EIO for 5xx, ETIMEDOUT, unreachable...
     */
    public AddedTorrent add(final byte[] body, final boolean isUrl, final Duration timeout) throws MetadataException
    {
        Objects.requireNonNull(body, "body");
        final String path = "/torrents?overwrite=true" + (isUrl ? "&is_url=true" : "");
        final HttpResponse<byte[]> response = send(path, "POST", HttpRequest.BodyPublishers.ofByteArray(body),
            Objects.requireNonNull(timeout, "timeout"));
        final int status = response.statusCode();
        if (status / 100 != 2)
        {
            final String why = MetadataDocuments.errorMessage(response.body());
            final int errno = status == 401 || status == 403 ? Errno.EACCES
                : status / 100 == 4 ? Errno.EINVAL : Errno.fromHttpStatus(status);
            throw failure("POST", path, errno, "HTTP " + status + (why == null ? "" : ": " + why), null);
        }
        try
        {
            final AddedTorrent added = MetadataDocuments.added(MetadataDocuments.parse(response.body()));
            LOG.info("rqbit added torrent {} (id {})", added.infoHash(), added.id());
            return added;
        }
        catch (final MetadataDocuments.InvalidDocumentException ex)
        {
            throw invalid(path, ex);
        }
    }

    private byte[] get(final String path) throws MetadataException
    {
        final HttpResponse<byte[]> response = send(path, "GET");
        final int status = response.statusCode();
        if (status != 200)
        {
            throw statusFailure("GET", path, status);
        }
        return response.body();
    }

    private HttpResponse<byte[]> send(final String path, final String method) throws MetadataException
    {
        return send(path, method, "POST".equals(method) ? HttpRequest.BodyPublishers.noBody() : null, timeout);
    }

    private HttpResponse<byte[]> send(
        final String path, final String method, final HttpRequest.BodyPublisher postBody, final Duration timeout)
        throws MetadataException
    {
        return send(path, method, postBody, timeout, "application/json");
    }

    private HttpResponse<byte[]> send(
        final String path, final String method, final HttpRequest.BodyPublisher postBody, final Duration timeout,
        final String accept)
        throws MetadataException
    {
        final URI uri = URI.create(baseUrl + path);
        final HttpRequest.Builder b = HttpRequest.newBuilder(uri)
            .timeout(timeout)
            .header("Accept", accept);
        if (authorization != null)
        {
            b.header("Authorization", authorization);
        }
        if ("POST".equals(method))
        {
            b.POST(postBody);
        }
        else
        {
            b.GET();
        }
        final CompletableFuture<HttpResponse<byte[]>> future = client.sendAsync(b.build(), LimitedBody.HANDLER);
        try
        {
            return future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        }
        catch (final TimeoutException ex)
        {
            future.cancel(true);
            throw failure(method, path, Errno.ETIMEDOUT, "no complete answer within " + timeout.toMillis() + " ms", ex);
        }
        catch (final InterruptedException ex)
        {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw failure(method, path, Errno.EIO, "interrupted", ex);
        }
        catch (final ExecutionException ex)
        {
            final Throwable cause = ex.getCause() == null ? ex : ex.getCause();
            if (cause instanceof LimitedBody.TooLargeException)
            {
                final MetadataException e = new MetadataException(Errno.EIO, method + " " + logBaseUrl + path
                    + ": " + cause.getMessage(), cause);
                LOG.warn("rejected answer from rqbit: {}", e.getMessage());
                throw e;
            }
            throw failure(method, path, Errno.fromThrowable(cause), describe(cause), cause);
        }
    }

    private MetadataException statusFailure(final String method, final String path, final int status)
    {
        return failure(method, path, Errno.fromHttpStatus(status), "HTTP " + status, null);
    }

    private MetadataException failure(
        final String method, final String path, final int errno, final String what, final Throwable cause)
    {
        final MetadataException e = new MetadataException(
            errno, method + " " + logBaseUrl + path + ": " + what + " (" + Errno.name(errno) + ")", cause);
        LOG.debug("{}", e.getMessage());
        return e;
    }

    private MetadataException invalid(final String path, final MetadataDocuments.InvalidDocumentException ex)
    {
        final MetadataException e = new MetadataException(
            Errno.EIO, "invalid answer from rqbit to GET " + logBaseUrl + path + ": " + ex.getMessage(), ex);
        LOG.warn("{}", e.getMessage());
        return e;
    }

    private static String checkInfoHash(final String infoHash) throws MetadataException
    {
        final String h = infoHash == null ? null : infoHash.toLowerCase(Locale.ROOT);
        if (!StreamTarget.isInfoHash(h))
        {
            throw new MetadataException(Errno.EINVAL, "not an info hash: " + StreamConnection.sanitize(infoHash));
        }
        return h;
    }

    private static String describe(final Throwable t)
    {
        final String m = t.getMessage();
        return t.getClass().getSimpleName() + (m == null ? "" : ": " + StreamConnection.sanitize(m));
    }

    @Override
    public void close()
    {
        executor.shutdownNow();
    }

    @Override
    public String toString()
    {
        return "RqbitHttpMetadata{" + logBaseUrl + ", auth=" + (authorization == null ? "none" : "basic") + "}";
    }

    /** Collects a response body into a byte array, failing once it exceeds {@link #MAX_DOCUMENT_BYTES}. */
    static final class LimitedBody implements HttpResponse.BodySubscriber<byte[]>
    {
        static final HttpResponse.BodyHandler<byte[]> HANDLER = info -> new LimitedBody(MAX_DOCUMENT_BYTES);

        private final int limit;
        private final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private Flow.Subscription subscription;

        LimitedBody(final int limit)
        {
            this.limit = limit;
        }

        /** The body is larger than we accept. */
        static final class TooLargeException extends IOException
        {
            private static final long serialVersionUID = 1L;

            TooLargeException(final String message)
            {
                super(message);
            }
        }

        @Override
        public CompletionStage<byte[]> getBody()
        {
            return result;
        }

        @Override
        public void onSubscribe(final Flow.Subscription s)
        {
            subscription = s;
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(final List<ByteBuffer> items)
        {
            if (result.isDone())
            {
                return;
            }
            for (final ByteBuffer b : items)
            {
                if ((long)out.size() + b.remaining() > limit)
                {
                    subscription.cancel();
                    result.completeExceptionally(new TooLargeException("document larger than " + limit + " bytes"));
                    return;
                }
                final byte[] chunk = new byte[b.remaining()];
                b.get(chunk);
                out.write(chunk, 0, chunk.length);
            }
        }

        @Override
        public void onError(final Throwable t)
        {
            result.completeExceptionally(t);
        }

        @Override
        public void onComplete()
        {
            result.complete(out.toByteArray());
        }
    }
}
