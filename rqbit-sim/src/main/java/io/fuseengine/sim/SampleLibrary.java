package io.fuseengine.sim;

import java.util.ArrayList;
import java.util.List;

/** Ready-made torrents for the demo and tests. Stateless; call from any thread. */
public final class SampleLibrary {
    public static final String BIG_BUCK_BUNNY = "Big Buck Bunny (sample)";
    public static final long POSTER_LENGTH = 310_380;
    public static final long VIDEO_LENGTH = 48L * 1024 * 1024 + 12_345;
    public static final long SUBTITLE_LENGTH = 4_321;
    public static final String SOLO = "solo.iso";
    public static final long SOLO_LENGTH = 8L * 1024 * 1024 + 17;
    public static final String UNICODE = "Ünïcødé 日本語 🎬";
    public static final String HOSTILE = "hostile components";
    public static final String ZERO = "zero-byte file";
    public static final String HUGE = "huge.bin";
    public static final long HUGE_LENGTH = 5L * 1024 * 1024 * 1024;

    private SampleLibrary() {
    }

    /**
     * Adds, in this order:
     * <ol>
     * <li>{@value #BIG_BUCK_BUNNY}: {@code poster.jpg} (310380 B), a padding file up to the next piece boundary,
     * {@code video/Big Buck Bunny.mp4} (~48 MiB), {@code subs/en.srt} (small);</li>
     * <li>{@value #SOLO}: single file, ~8 MiB;</li>
     * <li>{@value #UNICODE}: unicode file and folder names;</li>
     * <li>{@value #HOSTILE}: components {@code ".."}, {@code "."}, {@code "a/b"}, {@code "x\0y"}, {@code "ctl\1"}, a
     * 300-character name, {@code ["a","b"]} (whose name clashes with {@code "a/b"}) and {@code dup.txt} twice;</li>
     * <li>{@value #ZERO}: {@code empty.bin} (0 B) and {@code one.bin} (1 B);</li>
     * <li>if {@code includeHuge}: {@value #HUGE}, a 5 GiB single-file torrent with 4 MiB pieces.</li>
     * </ol>
     */
    public static List<SimTorrent> install(RqbitSim sim, boolean includeHuge) {
        List<SimTorrent> out = new ArrayList<>();
        int piece = SimConstants.DEFAULT_PIECE_LENGTH;
        long pad = piece - POSTER_LENGTH % piece;
        out.add(sim.addTorrent(TorrentSpec.builder(BIG_BUCK_BUNNY)
                .file(POSTER_LENGTH, "poster.jpg")
                .paddingFile(pad)
                .file(VIDEO_LENGTH, "video", "Big Buck Bunny.mp4")
                .file(SUBTITLE_LENGTH, "subs", "en.srt")
                .build()));
        out.add(sim.addTorrent(TorrentSpec.singleFile(SOLO, SOLO_LENGTH)));
        out.add(sim.addTorrent(TorrentSpec.builder(UNICODE)
                .file(3L * 1024 * 1024 + 5, "Ünïcødé 日本語 🎬.mkv")
                .file(2_048, "字幕", "日本語.srt")
                .file(777, "émoji 🎬", "ñandú ☃.txt")
                .file(100, "Ω", "ß", "ﬁ – combining é.nfo")
                .build()));
        out.add(sim.addTorrent(TorrentSpec.builder(HOSTILE)
                .pieceLength(16_384)
                .file(1_000, "..")
                .file(1_001, ".")
                .file(1_002, "a/b")
                .file(1_003, "x\u0000y")
                .file(1_004, "ctl\u0001")
                .file(1_005, "n".repeat(296) + ".txt")
                .file(1_006, "a", "b")
                .file(1_007, "dup.txt")
                .file(1_008, "dup.txt")
                .file(1_009, "..", "..", "etc", "passwd")
                .build()));
        out.add(sim.addTorrent(TorrentSpec.builder(ZERO)
                .pieceLength(16_384)
                .file(0, "empty.bin")
                .file(1, "one.bin")
                .build()));
        if (includeHuge) {
            out.add(sim.addTorrent(TorrentSpec.builder(HUGE).pieceLength(4 * 1024 * 1024).singleFile(HUGE_LENGTH).build()));
        }
        return out;
    }
}
