package io.fuseengine.bench.bridge;

/**
 * One way for a caller thread (a FUSE thread) to get {@code length} bytes at {@code offset} into native memory at
 * {@code destAddress} and wait until they are there. The rivals compared by {@code BridgeBenchmark}:
 * <ul>
 *   <li>{@link SlotRingBridge}: fuse-engine's design (Agrona slots + Disruptor ring, transport writes in place);</li>
 *   <li>{@link QueueFutureBridge}: the seed's design (bounded channel to a worker + one-shot response);</li>
 *   <li>{@link DirectCallBridge}: the caller copies the bytes itself (no hand-off: the lower bound).</li>
 * </ul>
 * Threads: {@link #read} is called concurrently by any number of threads.
 */
public interface ReadBridge extends AutoCloseable
{
    /**
     * @return bytes delivered, or a negated errno.
     */
    int read(long offset, int length, long destAddress);

    @Override
    void close();
}
