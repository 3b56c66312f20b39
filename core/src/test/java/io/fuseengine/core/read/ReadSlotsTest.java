package io.fuseengine.core.read;

import io.fuseengine.core.errno.Errno;
import org.agrona.BufferUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
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

    /** Starts a thread waiting for {@code need} bytes of (slot, generation); returns once it is about to wait. */
    private static CompletableFuture<Integer> progressWaiter(
        final ReadSlots slots, final int slot, final long generation, final int need, final long deadline)
        throws InterruptedException
    {
        final CountDownLatch waiting = new CountDownLatch(1);
        final CompletableFuture<Integer> got = CompletableFuture.supplyAsync(() ->
        {
            waiting.countDown();
            return slots.awaitDelivered(slot, generation, need, deadline);
        });
        assertThat(waiting.await(10, TimeUnit.SECONDS)).as("waiter started").isTrue();
        return got;
    }

    @Test
    void shouldWakeProgressWaiterOnlyOnceItsBytesAreDelivered() throws Exception
    {
        final ReadSlots slots = new ReadSlots(2, TimeUnit.HOURS.toNanos(1)); // a lost wake-up hangs, not polls
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        final int slot = slots.tryClaim(TARGET, 0, 4096, destAddress, deadline);
        final long generation = slots.generation(slot);
        final CompletableFuture<Integer> got = progressWaiter(slots, slot, generation, 2048, deadline);

        assertThat(slots.beginWrite(slot, generation)).isTrue();
        slots.endWrite(slot, generation, 1024);
        assertThat(got).as("1024 of the 2048 it needs").isNotDone();

        assertThat(slots.beginWrite(slot, generation)).isTrue();
        slots.endWrite(slot, generation, 3072);
        assertThat(got.get(10, TimeUnit.SECONDS)).isEqualTo(3072);
        assertThat(slots.awaitDelivered(slot, generation, 3000, deadline)).as("already there").isEqualTo(3072);

        slots.completeWrite(slot, generation, 4096);
        assertThat(slots.await(slot, generation, deadline)).isEqualTo(4096);
    }

    @Test
    void shouldWakeProgressWaitersWithMinusOneWhenTheRequestFailsOrItsClaimerGivesUp() throws Exception
    {
        final ReadSlots slots = new ReadSlots(2, TimeUnit.HOURS.toNanos(1));
        final long far = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        final int failing = slots.tryClaim(TARGET, 0, 4096, destAddress, far);
        final long failingGeneration = slots.generation(failing);
        final CompletableFuture<Integer> onFailure = progressWaiter(slots, failing, failingGeneration, 4096, far);
        assertThat(slots.fail(failing, failingGeneration, Errno.EIO)).isTrue();
        assertThat(onFailure.get(10, TimeUnit.SECONDS)).isEqualTo(-1);
        assertThat(slots.await(failing, failingGeneration, far)).isEqualTo(-Errno.EIO);

        final long soon = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
        final int abandoned = slots.tryClaim(TARGET, 0, 4096, destAddress, soon);
        final long abandonedGeneration = slots.generation(abandoned);
        final CompletableFuture<Integer> onGiveUp = progressWaiter(slots, abandoned, abandonedGeneration, 4096, far);
        assertThat(slots.await(abandoned, abandonedGeneration, soon)).isEqualTo(-Errno.ETIMEDOUT);
        assertThat(onGiveUp.get(10, TimeUnit.SECONDS)).as("woken by the claimer giving up").isEqualTo(-1);
    }

    @Test
    void shouldReturnEtimedoutToProgressWaiterAtItsDeadline()
    {
        final ReadSlots slots = new ReadSlots(2);
        final long far = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        final int slot = slots.tryClaim(TARGET, 0, 4096, destAddress, far);
        final long generation = slots.generation(slot);
        final long soon = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
        assertThat(slots.awaitDelivered(slot, generation, 1, soon)).isEqualTo(-Errno.ETIMEDOUT);
        assertThat(slots.fail(slot, generation, Errno.ECANCELED)).isTrue();
        assertThat(slots.await(slot, generation, far)).isEqualTo(-Errno.ECANCELED);
    }

    /**
     * More waiters than a slot has cells (so some poll), each needing a random prefix, against a transport that
     * delivers in random steps and completes only after every waiter has returned: a threshold wake-up that is lost
     * shows as a waiter still parked (its park is an hour long) when all the bytes are there.
     */
    @Test
    void shouldNeverLoseProgressWakeUpUnderConcurrentDelivery() throws Exception
    {
        final ReadSlots slots = new ReadSlots(4, TimeUnit.HOURS.toNanos(1));
        final int waiters = ReadSlots.PROGRESS_WAITERS_PER_SLOT + 2;
        final int length = 1 << 16;
        final int rounds = 2_000;
        final AtomicReference<String> failure = new AtomicReference<>();
        @SuppressWarnings("unchecked")
        final ArrayBlockingQueue<Object[]>[] inboxes = new ArrayBlockingQueue[waiters];
        final Thread[] threads = new Thread[waiters];
        for (int w = 0; w < waiters; w++)
        {
            final ArrayBlockingQueue<Object[]> inbox = new ArrayBlockingQueue<>(1);
            inboxes[w] = inbox;
            threads[w] = new Thread(() ->
            {
                try
                {
                    while (true)
                    {
                        final Object[] round = inbox.take();
                        final int slot = (Integer)round[0];
                        final long generation = (Long)round[1];
                        final int need = 1 + ThreadLocalRandom.current().nextInt(length);
                        final int got = slots.awaitDelivered(
                            slot, generation, need, System.nanoTime() + TimeUnit.SECONDS.toNanos(60));
                        if (got < need)
                        {
                            failure.compareAndSet(null, "needed " + need + ", got " + got);
                        }
                        ((CountDownLatch)round[2]).countDown();
                    }
                }
                catch (final InterruptedException ex)
                {
                    // done
                }
            });
            threads[w].setDaemon(true);
            threads[w].start();
        }
        try
        {
            for (int r = 0; r < rounds && failure.get() == null; r++)
            {
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                final int slot = slots.tryClaim(TARGET, 0, length, destAddress, deadline);
                final long generation = slots.generation(slot);
                final CountDownLatch returned = new CountDownLatch(waiters);
                for (final ArrayBlockingQueue<Object[]> inbox : inboxes)
                {
                    inbox.put(new Object[] {slot, generation, returned});
                }
                int delivered = 0;
                while (delivered < length)
                {
                    delivered = Math.min(length, delivered + 1 + ThreadLocalRandom.current().nextInt(length / 4));
                    assertThat(slots.beginWrite(slot, generation)).isTrue();
                    slots.endWrite(slot, generation, delivered);
                }
                assertThat(returned.await(10, TimeUnit.SECONDS))
                    .as("round %d: every waiter woken once all %d bytes were delivered", r, length).isTrue();
                assertThat(slots.beginWrite(slot, generation)).isTrue();
                slots.completeWrite(slot, generation, length);
                assertThat(slots.await(slot, generation, deadline)).isEqualTo(length);
            }
        }
        finally
        {
            for (final Thread t : threads)
            {
                t.interrupt();
            }
        }
        assertThat(failure.get()).isNull();
        assertThat(slots.inUse()).isZero();
    }
}
