/**
 * rqbit-sim: an rqbit-compatible HTTP server used as a test double (see {@code shared/rqbit-api.md}).
 *
 * <p>Entry points: {@link io.fuseengine.sim.RqbitSim} (start, add torrents, stop/restart, faults, stats),
 * {@link io.fuseengine.sim.TorrentSpec}, {@link io.fuseengine.sim.SampleLibrary} and
 * {@link io.fuseengine.sim.RqbitSimMain} for a standalone daemon.
 *
 * <p>Where the API document is silent the simulator behaves as follows:
 * <ul>
 * <li>{@code /haves} and {@code /metadata} do not exist on V7 (404 with an empty body, like an unknown route).
 * {@code /metadata} returns the bencoded info dictionary ({@code piece length} is real, piece hashes are filler and
 * info hashes are not the SHA-1 of it).</li>
 * <li>Zero-length file: no Range → 200 with an empty body; any honoured Range → 416 ({@code Content-Range: bytes *}{@code /0}).</li>
 * <li>V7/V8 ignore bounded ranges entirely (as their parser did): {@code bytes=S-E} → 200 whole file even when it
 * would be unsatisfiable. Open ranges starting at or past the end → 416 on every version.</li>
 * <li>416 bodies are an {@code internal_error} JSON with status 416.</li>
 * <li>An id that is neither decimal nor 40-hex → 400 {@code internal_error}; unknown route → 404 empty body; wrong
 * method → 405 empty body.</li>
 * <li>{@code POST /torrents}: a magnet or .torrent whose info hash is served answers the existing torrent (200);
 * anything else → 500 {@code internal_error} (the simulator cannot download); unparsable body → 400.</li>
 * <li>{@code delete} never deletes files on disk (torrents served from a directory are left alone).</li>
 * <li>Forgetting a torrent closes the connections streaming it.</li>
 * <li>HEAD is answered like GET without a body (axum does the same).</li>
 * </ul>
 *
 * <p>Threads: one Netty event loop group of {@value io.fuseengine.sim.SimConstants#EVENT_LOOP_THREADS} threads
 * ("rqbit-sim-io", epoll when available) serves every connection; with a download rate, one more thread
 * ("rqbit-sim-downloader") marks pieces present. Nothing blocks an event loop: stalled streams register a one-shot
 * waiter on the missing piece and are resumed on their event loop when it arrives.
 */
package io.fuseengine.sim;
