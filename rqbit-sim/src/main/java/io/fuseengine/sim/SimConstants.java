package io.fuseengine.sim;

/** Every tunable number and fixed string of the simulator, in one place. */
final class SimConstants {
    private SimConstants() {
    }

    /** The only address the simulator ever binds. */
    static final String HOST = "127.0.0.1";
    /** rqbit's default piece length for the torrents we generate. */
    static final int DEFAULT_PIECE_LENGTH = 262_144;
    /** Largest body chunk written at once (rqbit pushes at most 64 KiB per chunk). */
    static final int MAX_CHUNK = 64 * 1024;
    /** How far ahead of a stream's position the downloader prioritises pieces (as rqbit). */
    static final long STREAM_PRIORITY_WINDOW = 32L * 1024 * 1024;
    /** rqbit's default {@code --max-blocking-threads}: more open streams than this get a WARN. */
    static final int RQBIT_MAX_BLOCKING_THREADS = 8;
    /** Default speed of the SLOW_DRIP fault. */
    static final int DEFAULT_SLOW_DRIP_BPS = 16;
    /** Interval between two SLOW_DRIP writes when the rate allows several per second. */
    static final long DRIP_INTERVAL_MS = 100;
    /** Downloader tick. */
    static final long DOWNLOAD_TICK_MS = 5;
    /** Event loop threads (one group serves both the listening socket and the connections). */
    static final int EVENT_LOOP_THREADS = 2;
    /** Largest request body accepted (a .torrent file posted to /torrents). */
    static final int MAX_REQUEST_BODY = 16 * 1024 * 1024;
    /** Write buffer water marks: large enough for ~1 GB/s on loopback, small enough to bound memory. */
    static final int WRITE_LOW_WATER_MARK = 512 * 1024;
    static final int WRITE_HIGH_WATER_MARK = 1024 * 1024;
    /** Root of the fake output folders reported for generated torrents. */
    static final String OUTPUT_ROOT = "/data/rqbit-sim";
    /** Name of the folder BEP 47 padding files live in. */
    static final String PADDING_DIR = ".pad";
    /** Value of the {@code server} field of {@code GET /}. */
    static final String SERVER_NAME = "rqbit";
    static final String JSON = "application/json";
    static final String OCTET_STREAM = "application/octet-stream";
    static final String BITFIELD_LEN_HEADER = "x-bitfield-len";
}
