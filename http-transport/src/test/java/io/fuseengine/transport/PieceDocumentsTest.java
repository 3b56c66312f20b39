package io.fuseengine.transport;

import io.fuseengine.core.meta.TorrentHaves;
import io.fuseengine.transport.MetadataDocuments.InvalidDocumentException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Parsing of rqbit's piece documents: the /haves bitfield of v9 (binary) and v8 (text), and /metadata. */
class PieceDocumentsTest
{
    private static final String V8_HEADER = "BitSlice<u8, bitvec::order::Msb0> { addr: 0x55d0c0a3f2b0, head: 000, bits: ";

    private static byte[] utf8(final String s)
    {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void shouldReadV9BinaryBitfieldWithItsExactPieceCount() throws Exception
    {
        final TorrentHaves h = PieceDocuments.haves("application/octet-stream", "11",
            new byte[] {(byte)0b1010_0000, (byte)0b0010_0000});
        assertThat(h.bitCount()).isEqualTo(11);
        assertThat(h.exactCount()).isTrue();
        assertThat(h.has(0)).isTrue();
        assertThat(h.has(1)).isFalse();
        assertThat(h.has(2)).isTrue();
        assertThat(h.has(10)).isTrue();
        assertThat(h.has(11)).as("past the end").isFalse();
        // without x-bitfield-len the count is only known to whole bytes
        final TorrentHaves padded = PieceDocuments.haves("application/octet-stream; charset=binary", null, new byte[2]);
        assertThat(padded.bitCount()).isEqualTo(16);
        assertThat(padded.exactCount()).isFalse();
        assertThat(PieceDocuments.haves(PieceDocuments.OCTET_STREAM, "0", new byte[0]).bitCount()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"24", "17", "8", "-1", "", " ", "1e3", "0x10", "99999999999", "16 16"})
    void shouldRejectABinaryBitfieldWhoseLengthHeaderDoesNotFitTheBody(final String header)
    {
        assertThatThrownBy(() -> PieceDocuments.haves(PieceDocuments.OCTET_STREAM, header, new byte[2]))
            .isInstanceOf(InvalidDocumentException.class).hasMessageContaining("x-bitfield-len");
    }

    @Test
    void shouldReadV8TextDumpLeniently() throws Exception
    {
        final TorrentHaves h = PieceDocuments.haves("text/plain; charset=utf-8", null,
            utf8(V8_HEADER + "16 } [0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]"));
        assertThat(h.bitCount()).isEqualTo(16);
        assertThat(h.exactCount()).as("v8 pads to whole bytes").isFalse();
        assertThat(h.bits()).containsExactly((byte)0b0010_0000, (byte)0xFF);

        final TorrentHaves spaced = PieceDocuments.textDump(utf8("\n  [1,\n0 ,true,false,  1,0,0,1]\r\n"));
        assertThat(spaced.bits()).containsExactly((byte)0b1010_1001);
        assertThat(PieceDocuments.textDump(utf8(V8_HEADER + "0 } []")).bitCount()).isZero();
        // a count that is not a whole number of bytes can only be the exact piece count
        final TorrentHaves odd = PieceDocuments.textDump(utf8("[1, 1, 0]"));
        assertThat(odd.bitCount()).isEqualTo(3);
        assertThat(odd.exactCount()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        V8_HEADER + "16 } [0, 1, 0, 1, 0, 1, 0, 1]",   // declares 16, lists 8
        V8_HEADER + "8 } [0, 1, 0, 1, 0, 1, 0, 2]",     // not a bit
        V8_HEADER + "8 } [0, 1, 0, 1, 0, 1, 0, 1,]",    // empty entry
        V8_HEADER + "8 } [0, 1, 0, 1, 0, 1, 0, 1",      // unterminated
        V8_HEADER + "8 }",                              // no list
        V8_HEADER + "x } [0, 1, 0, 1, 0, 1, 0, 1]",     // malformed count
        "[0, 1, , 1]",
        "<svg></svg>",
        ""})
    void shouldRejectAMalformedTextDumpWhole(final String body)
    {
        assertThatThrownBy(() -> PieceDocuments.haves("text/plain", null, utf8(body)))
            .isInstanceOf(InvalidDocumentException.class).hasMessageContaining("text bitfield");
    }

    @Test
    void shouldTellAnAnswerThatIsNotABitfield()
    {
        assertThatThrownBy(() -> PieceDocuments.haves("image/svg+xml", null, utf8("<svg/>")))
            .isInstanceOf(PieceDocuments.NotABitfieldException.class).hasMessageContaining("image/svg+xml");
        assertThatThrownBy(() -> PieceDocuments.haves(null, "8", new byte[1]))
            .isInstanceOf(PieceDocuments.NotABitfieldException.class);
    }

    /** A bencoded info dictionary like rqbit's {@code /metadata}. */
    private static byte[] info(final String pieceLength)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final byte[] pieces = new byte[40];
        out.writeBytes(utf8("d5:filesld6:lengthi1000e4:pathl5:a.binee" + "e4:name1:t12:piece length" + pieceLength
            + "6:pieces40:"));
        out.writeBytes(pieces);
        out.writeBytes(utf8("e"));
        return out.toByteArray();
    }

    @Test
    void shouldReadThePieceLengthOfBencodedMetadata() throws Exception
    {
        assertThat(PieceDocuments.pieceLength(info("i262144e"))).isEqualTo(262144);
        assertThat(PieceDocuments.pieceLength(info("i1000e"))).as("not a power of two: taken as is").isEqualTo(1000);
        // a whole .torrent: the info dictionary is searched
        final ByteArrayOutputStream torrent = new ByteArrayOutputStream();
        torrent.writeBytes(utf8("d8:announce3:url4:info"));
        torrent.writeBytes(info("i16384e"));
        torrent.writeBytes(utf8("e"));
        assertThat(PieceDocuments.pieceLength(torrent.toByteArray())).isEqualTo(16384);
    }

    @ParameterizedTest
    @ValueSource(strings = {"i0e", "i-16384e", "i2147483648e", "3:abc", "le", "i12", "i1x2e", "ie"})
    void shouldRejectABadPieceLength(final String value)
    {
        assertThatThrownBy(() -> PieceDocuments.pieceLength(info(value)))
            .isInstanceOf(InvalidDocumentException.class).hasMessageContaining("torrent metadata");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "le", "i1e", "d", "d4:name", "d4:name1:te", "d4:name1:tee", "d99:shorte",
        "d4:namei1e12:piece lengthi5ee junk", "d12:piece lengthi5e12:piece lengthi6ee", "d4:listl"})
    void shouldRejectMalformedMetadata(final String doc)
    {
        assertThatThrownBy(() -> PieceDocuments.pieceLength(utf8(doc)))
            .isInstanceOf(InvalidDocumentException.class).hasMessageContaining("torrent metadata");
    }

    @Test
    void shouldRejectMetadataNestedTooDeep()
    {
        final String deep = "d1:x" + "l".repeat(200) + "e".repeat(200) + "12:piece lengthi5ee";
        assertThatThrownBy(() -> PieceDocuments.pieceLength(utf8(deep)))
            .isInstanceOf(InvalidDocumentException.class).hasMessageContaining("deeper");
    }
}
