package io.fuseengine.transport;

import com.sun.net.httpserver.HttpServer;
import io.fuseengine.core.errno.Errno;
import io.fuseengine.core.meta.TorrentDetails;
import io.fuseengine.core.meta.TorrentFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.fuseengine.transport.RqbitHttpMetadataTest.errno;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * rqbit's answers are untrusted input: documents that do not have the expected shape or ranges are rejected with
 * EIO, never half-used. Served by a tiny local HTTP server that answers a fixed JSON string.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HostileDocumentTest
{
    private static final String HASH = "dd8255ecdc7ca55fb0bbf81323d87062db1f6d1c";

    private HttpServer server;
    private volatile String document;
    private volatile String authorizationSeen;
    private RqbitHttpMetadata meta;

    @BeforeEach
    void setUp() throws Exception
    {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange ->
        {
            authorizationSeen = exchange.getRequestHeaders().getFirst("Authorization");
            final byte[] body = document.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody())
            {
                out.write(body);
            }
        });
        server.start();
        final URI url = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        meta = new RqbitHttpMetadata(url, "bob", "pw", Duration.ofSeconds(1), Duration.ofSeconds(2));
    }

    @AfterEach
    void tearDown()
    {
        meta.close();
        server.stop(0);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"files\":[{\"components\":[\"a\"],\"length\":-1}]}",
        "{\"files\":[{\"components\":[\"a\"],\"length\":1e30}]}",
        "{\"files\":[{\"components\":[\"a\"],\"length\":100000000000000000000000}]}",
        "{\"files\":[{\"components\":[\"a\"],\"length\":9007199254740993}]}",
        "{\"files\":[{\"components\":[\"a\"],\"length\":1.5}]}",
        "{\"files\":[{\"components\":[\"a\"],\"length\":\"12\"}]}",
        "{\"files\":[{\"components\":[\"a\"]}]}",
        "{\"files\":[{\"components\":[],\"length\":1}]}",
        "{\"files\":[{\"components\":[\"a\", 7],\"length\":1}]}",
        "{\"files\":[{\"components\":\"a\",\"length\":1}]}",
        "{\"files\":[{\"length\":1}]}",
        "{\"files\":[{\"name\":\"///\",\"length\":1}]}",
        "{\"files\":[{\"components\":[\"a\"],\"length\":4503599627370496},{\"components\":[\"b\"],\"length\":4503599627370497}]}",
        "{\"files\":[{\"components\":[\"a\"],\"length\":1,\"attributes\":{\"padding\":\"yes\"}}]}",
        "{\"files\":[{\"components\":[\"a\"],\"length\":1}],\"total_pieces\":-3}",
        "{\"name\":\"x\"}",
        "{\"files\":{}}",
        "{\"info_hash\":\"not-a-hash\",\"files\":[]}",
        "{\"info_hash\":\"0123456789abcdef0123456789abcdef01234567\",\"files\":[]}",
        "{\"files\":[],\"files\":[{\"components\":[\"a\"],\"length\":1}]}",
        "{\"files\":[]} trailing",
        "[]",
        "",
        "{\"files\":[{\"components\":[\"a\"],\"length\":1}"
    })
    void shouldRejectHostileDetailsWithEio(final String json)
    {
        document = json;
        assertThatThrownBy(() -> meta.torrentDetails(HASH))
            .satisfies(errno(Errno.EIO))
            .hasMessageContaining("http://127.0.0.1:" + server.getAddress().getPort() + "/torrents/" + HASH)
            .hasMessageNotContaining("pw");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"torrents\":[{\"id\":0,\"info_hash\":\"DD8255ECDC7CA55FB0BBF81323D87062DB1F6D1\"}]}",
        "{\"torrents\":[{\"id\":0,\"info_hash\":\"zz8255ecdc7ca55fb0bbf81323d87062db1f6d1c\"}]}",
        "{\"torrents\":[{\"id\":0}]}",
        "{\"torrents\":[{\"id\":-5,\"info_hash\":\"dd8255ecdc7ca55fb0bbf81323d87062db1f6d1c\"}]}",
        "{\"torrents\":[{\"id\":0,\"info_hash\":\"dd8255ecdc7ca55fb0bbf81323d87062db1f6d1c\",\"name\":42}]}",
        "{\"torrents\":[7]}",
        "{\"torrents\":null}",
        "{}"
    })
    void shouldRejectHostileListsWithEio(final String json)
    {
        document = json;
        assertThatThrownBy(meta::listTorrents).satisfies(errno(Errno.EIO));
    }

    @Test
    void shouldAcceptMinimalVersionSevenDetailsAndIgnoreUnknownFields() throws Exception
    {
        document = "{\"info_hash\":\"DD8255ECDC7CA55FB0BBF81323D87062DB1F6D1C\",\"name\":null,\"surprise\":{\"x\":[1,2]},"
            + "\"files\":[{\"name\":\"video/a.mp4\",\"length\":9007199254740992},"
            + "{\"components\":[\"..\",\"\\u0001evil\"],\"length\":0,\"included\":false}]}";

        final TorrentDetails d = meta.torrentDetails(HASH);

        assertThat(d.infoHash()).isEqualTo(HASH);
        assertThat(d.name()).isNull();
        assertThat(d.totalPieces()).isEqualTo(-1);
        assertThat(d.files()).extracting(TorrentFile::components)
            .containsExactly(List.of("video", "a.mp4"), List.of("..", "\u0001evil"));
        assertThat(d.files().get(0).length()).isEqualTo(1L << 53);
        assertThat(d.files().get(1).included()).isFalse();
        assertThat(authorizationSeen).as("pre-emptive basic auth").isEqualTo("Basic Ym9iOnB3");
    }

    @Test
    void shouldRejectStatsWithNegativeProgress()
    {
        document = "{\"state\":\"live\",\"progress_bytes\":-1,\"total_bytes\":10,\"finished\":false,\"file_progress\":[0]}";
        assertThatThrownBy(() -> meta.stats(HASH)).satisfies(errno(Errno.EIO));
    }
}
