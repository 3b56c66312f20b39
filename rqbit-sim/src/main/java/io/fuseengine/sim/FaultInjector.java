package io.fuseengine.sim;

import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Rules that make the simulator misbehave. Tests add rules from any thread; the event loops consult them once per
 * request ({@link #match}): the first rule, in insertion order, whose target, torrent and fault fit the response wins
 * and consumes one of its {@code times}.
 */
public final class FaultInjector {
    /** What goes wrong. */
    public enum Fault {
        /** Request accepted, never answered. */
        STALL_BEFORE_HEADERS,
        /** Headers sent, body never sent. */
        STALL_AFTER_HEADERS,
        /** Body sent at {@link #slowDripBytesPerSecond(int)} bytes per second. */
        SLOW_DRIP,
        /** About half the body, then a TCP RST (SO_LINGER 0). */
        RESET_MID_BODY,
        /** 500 with an internal_error JSON. */
        STATUS_500,
        /** 503 with an internal_error JSON. */
        STATUS_503,
        /** Full Content-Length declared, about half the body sent, then a normal close. */
        TRUNCATED_BODY,
        /** Streams only: a 206 whose Content-Range (and body) start elsewhere than requested. */
        WRONG_CONTENT_RANGE,
        /** Streams: 500 "invalid state: initializing"; stats/v1: state "initializing". */
        INITIALIZING,
        /** JSON endpoints: a complete response whose body is not valid JSON. */
        MALFORMED_JSON,
        /** JSON endpoints: a complete response carrying only the first half of the JSON. */
        TRUNCATED_JSON
    }

    /** Which requests a rule applies to. */
    public enum Target {
        /** {@code /torrents/{id}/stream/...} */
        STREAMS,
        /** Everything else. */
        METADATA,
        ALL
    }

    private final CopyOnWriteArrayList<FaultRule> rules = new CopyOnWriteArrayList<>();
    private volatile int slowDripBps = SimConstants.DEFAULT_SLOW_DRIP_BPS;

    FaultInjector() {
    }

    /**
     * Adds a rule: requests matching {@code target} (and, if {@code infoHashOrNull != null}, that torrent) get the
     * fault, {@code times} times (-1 = until cleared).
     */
    public FaultRule inject(Fault fault, Target target, String infoHashOrNull, int times) {
        Objects.requireNonNull(fault, "fault");
        Objects.requireNonNull(target, "target");
        if (times == 0 || times < -1) {
            throw new IllegalArgumentException("times must be -1 or > 0: " + times);
        }
        FaultRule rule = new FaultRule(this, fault, target, infoHashOrNull, times);
        rules.add(rule);
        return rule;
    }

    /** Speed of {@link Fault#SLOW_DRIP} (default 16). Applies to responses started afterwards. */
    public void slowDripBytesPerSecond(int bps) {
        if (bps <= 0) {
            throw new IllegalArgumentException("bps must be > 0: " + bps);
        }
        this.slowDripBps = bps;
    }

    /** Removes every rule and resets the drip speed. */
    public void clear() {
        rules.clear();
        slowDripBps = SimConstants.DEFAULT_SLOW_DRIP_BPS;
    }

    int slowDripBps() {
        return slowDripBps;
    }

    void remove(FaultRule rule) {
        rules.remove(rule);
    }

    /** The fault to apply to a response, or null. Event loop threads. */
    Fault match(Target requestTarget, String infoHash, Set<Fault> applicable) {
        for (FaultRule r : rules) {
            if (applicable.contains(r.fault()) && r.matches(requestTarget, infoHash) && r.tryConsume()) {
                return r.fault();
            }
        }
        return null;
    }
}
