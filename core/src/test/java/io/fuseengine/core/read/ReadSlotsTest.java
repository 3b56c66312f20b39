package io.fuseengine.core.read;

import io.fuseengine.core.errno.Errno;
import org.agrona.BufferUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

class ReadSlotsTest
{
    private static final StreamTarget TARGET = new StreamTarget("0123456789abcdef0123456789abcdef01234567", 0, 1 << 20, "t/f");
    private final ByteBuffer dest = BufferUtil.allocateDirectAligned(4096, 64);
    private final long destAddress = BufferUtil.address(dest);

    @Test
    void shouldDeliverLengthWhenTransportCompletes()
    {
        final ReadSlots slots = new ReadSlots(4);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        final int slot = slots.tryClaim(TARGET, 10, 100, destAddress, deadline);
        final long gen = slots.generation(slot);

        assertThat(slots.isPending(slot, gen)).isTrue();
        assertThat(slots.complete(slot, gen, 100)).isTrue();
        assertThat(slots.await(slot, gen, deadline)).isEqualTo(100);
        assertThat(slots.inUse()).isZero();
    }

    @Test
    void shouldReturnNegatedErrnoWhenTransportFails()
    {
        final ReadSlots slots = new ReadSlots(4);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        final int slot = slots.tryClaim(TARGET, 0, 1, destAddress, deadline);
        final long gen = slots.generation(slot);

        assertThat(slots.fail(slot, gen, Errno.ENOENT)).isTrue();
        assertThat(slots.await(slot, gen, deadline)).isEqualTo(-Errno.ENOENT);
    }

    @Test
    void shouldReturnEtimedoutAndFreeSlotWhenNobodyCompletes()
    {
        final ReadSlots slots = new ReadSlots(1);
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
        final int slot = slots.tryClaim(TARGET, 0, 1, destAddress, deadline);
        final long gen = slots.generation(slot);

        assertThat(slots.await(slot, gen, deadline)).isEqualTo(-Errno.ETIMEDOUT);
        assertThat(System.nanoTime() - deadline).isNotNegative();
        assertThat(slots.inUse()).isZero();
        assertThat(slots.tryClaim(TARGET, 0, 1, destAddress, deadline)).isEqualTo(slot);
    }

    @Test
    void shouldRejectLateCompletionOfReusedSlot()
    {
        final ReadSlots slots = new ReadSlots(1);
        final long shortDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(10);
        final int slot = slots.tryClaim(TARGET, 0, 1, destAddress, shortDeadline);
        final long oldGen = slots.generation(slot);
        assertThat(slots.await(slot, oldGen, shortDeadline)).isEqualTo(-Errno.ETIMEDOUT);

        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        final int again = slots.tryClaim(TARGET, 7, 1, destAddress, deadline);
        final long newGen = slots.generation(again);
        assertThat(again).isEqualTo(slot);
        assertThat(newGen).isGreaterThan(oldGen);

        assertThat(slots.beginWrite(slot, oldGen)).isFalse();
        assertThat(slots.complete(slot, oldGen, 1)).isFalse();
        assertThat(slots.fail(slot, oldGen, Errno.EIO)).isFalse();
        assertThat(slots.isPending(slot, newGen)).isTrue();
        assertThat(slots.requestOffset(slot)).isEqualTo(7);

        assertThat(slots.complete(slot, newGen, 1)).isTrue();
        assertThat(slots.await(slot, newGen, deadline)).isEqualTo(1);
    }

    @Test
    void shouldAnswerNoSlotWhenAllAreClaimed()
    {
        final ReadSlots slots = new ReadSlots(2);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        assertThat(slots.tryClaim(TARGET, 0, 1, destAddress, deadline)).isNotNegative();
        assertThat(slots.tryClaim(TARGET, 0, 1, destAddress, deadline)).isNotNegative();
        assertThat(slots.tryClaim(TARGET, 0, 1, destAddress, deadline)).isEqualTo(-1);
        assertThat(slots.inUse()).isEqualTo(2);
    }

    @Test
    void shouldNotGiveUpSlotWhileWriteIsOpenEvenPastDeadline() throws Exception
    {
        final ReadSlots slots = new ReadSlots(1);
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
        final int slot = slots.tryClaim(TARGET, 0, 8, destAddress, deadline);
        final long gen = slots.generation(slot);
        assertThat(slots.beginWrite(slot, gen)).isTrue();

        final AtomicInteger result = new AtomicInteger(Integer.MIN_VALUE);
        final Thread waiter = new Thread(() -> result.set(slots.await(slot, gen, deadline)));
        waiter.start();
        waiter.join(200); // well past the deadline, still inside the write grace period
        assertThat(waiter.isAlive()).as("waiter must wait for the open write to close").isTrue();

        slots.completeWrite(slot, gen, 8);
        waiter.join(5000);
        assertThat(waiter.isAlive()).isFalse();
        assertThat(result.get()).isEqualTo(8);
    }

    /**
     * Waiters park for up to 30 s at a time here, so a lost wake-up (completion published while the waiter goes to
     * park, unpark lost) shows as a 30 s stall that the per-read bound catches.
     */
    @Test
    void shouldReportDeliveredBytesOfTheCurrentGenerationOnly()
    {
        final ReadSlots slots = new ReadSlots(2);
        final StreamTarget target = new StreamTarget("0123456789abcdef0123456789abcdef01234567", 0, 1 << 20, "t");
        final int slot = slots.tryClaim(target, 0, 4096, 0, System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
        final long generation = slots.generation(slot);
        assertThat(slots.delivered(slot, generation)).isZero();

        assertThat(slots.beginWrite(slot, generation)).isTrue();
        slots.endWrite(slot, generation, 1024);
        assertThat(slots.delivered(slot, generation)).isEqualTo(1024);
        assertThat(slots.delivered(slot, generation + 1)).as("another generation").isEqualTo(-1);

        assertThat(slots.beginWrite(slot, generation)).isTrue();
        slots.completeWrite(slot, generation, 4096);
        assertThat(slots.delivered(slot, generation)).as("completed").isEqualTo(4096);
        assertThat(slots.await(slot, generation, System.nanoTime() + TimeUnit.SECONDS.toNanos(1))).isEqualTo(4096);
        assertThat(slots.delivered(slot, generation)).as("given back").isEqualTo(-1);

        final int again = slots.tryClaim(target, 0, 4096, 0, System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
        final long next = slots.generation(again);
        assertThat(slots.fail(again, next, Errno.EIO)).isTrue();
        assertThat(slots.delivered(again, next)).as("failed").isEqualTo(-1);
    }

    @ParameterizedTest(name = "parked at once: {0}")
    @ValueSource(booleans = {false, true})
    void shouldNeverLoseWakeUpUnderConcurrentCompletion(final boolean parkedAtOnce) throws Exception
    {
        final ReadSlots slots = new ReadSlots(16, TimeUnit.SECONDS.toNanos(30));
        final ArrayBlockingQueue<long[]> toComplete = new ArrayBlockingQueue<>(64);
        final int threads = 4;
        final int readsPerThread = 5_000;
        final AtomicReference<String> failure = new AtomicReference<>();
        final Thread completer = new Thread(() ->
        {
            try
            {
                while (!Thread.currentThread().isInterrupted())
                {
                    final long[] req = toComplete.take();
                    slots.complete((int)req[0], req[1], (int)req[2]);
                }
            }
            catch (final InterruptedException ignore)
            {
                // done
            }
        });
        completer.setDaemon(true);
        completer.start();

        final CountDownLatch done = new CountDownLatch(threads);
        for (int t = 0; t < threads; t++)
        {
            final int id = t;
            final Thread reader = new Thread(() ->
            {
                try
                {
                    for (int i = 0; i < readsPerThread && failure.get() == null; i++)
                    {
                        final long start = System.nanoTime();
                        final long deadline = start + TimeUnit.SECONDS.toNanos(60);
                        final int slot = slots.tryClaim(TARGET, i, id + 1, destAddress, deadline);
                        if (slot < 0)
                        {
                            failure.set("no slot");
                            return;
                        }
                        final long gen = slots.generation(slot);
                        toComplete.put(new long[] {slot, gen, id + 1});
                        final int r = parkedAtOnce
                            ? slots.awaitParked(slot, gen, deadline)
                            : slots.await(slot, gen, deadline);
                        final long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                        if (r != id + 1)
                        {
                            failure.set("read " + i + " of thread " + id + " returned " + r);
                        }
                        else if (tookMs > 10_000)
                        {
                            failure.set("read " + i + " of thread " + id + " took " + tookMs + " ms: lost wake-up");
                        }
                    }
                }
                catch (final InterruptedException ex)
                {
                    failure.set("interrupted");
                }
                finally
                {
                    done.countDown();
                }
            });
            reader.setDaemon(true);
            reader.start();
        }
        assertThat(done.await(120, TimeUnit.SECONDS)).as("readers finished").isTrue();
        completer.interrupt();
        assertThat(failure.get()).isNull();
        assertThat(slots.inUse()).isZero();
    }
}
