package io.fuseengine.sim;

import java.util.concurrent.atomic.AtomicInteger;

/** Handle of one rule added with {@link FaultInjector#inject}. Thread-safe. */
public final class FaultRule {
    private final FaultInjector owner;
    private final FaultInjector.Fault fault;
    private final FaultInjector.Target target;
    private final String infoHash;
    /** Remaining applications; -1 means unlimited. */
    private final AtomicInteger remaining;
    private final AtomicInteger hits = new AtomicInteger();

    FaultRule(FaultInjector owner, FaultInjector.Fault fault, FaultInjector.Target target, String infoHash, int times) {
        this.owner = owner;
        this.fault = fault;
        this.target = target;
        this.infoHash = infoHash;
        this.remaining = new AtomicInteger(times);
    }

    /** How many requests this rule has been applied to. */
    public int hits() {
        return hits.get();
    }

    /** Removes the rule; requests already affected keep their fault. */
    public void remove() {
        owner.remove(this);
    }

    public FaultInjector.Fault fault() {
        return fault;
    }

    boolean matches(FaultInjector.Target requestTarget, String requestInfoHash) {
        if (target != FaultInjector.Target.ALL && target != requestTarget) {
            return false;
        }
        return infoHash == null || infoHash.equalsIgnoreCase(requestInfoHash);
    }

    /** Consumes one application; false when exhausted. */
    boolean tryConsume() {
        while (true) {
            int r = remaining.get();
            if (r == 0) {
                return false;
            }
            if (r < 0 || remaining.compareAndSet(r, r - 1)) {
                hits.incrementAndGet();
                if (r == 1) {
                    owner.remove(this);
                }
                return true;
            }
        }
    }

    @Override
    public String toString() {
        return "FaultRule{" + fault + " on " + target + (infoHash == null ? "" : " of " + infoHash) + ", hits=" + hits()
                + ", remaining=" + remaining.get() + '}';
    }
}
