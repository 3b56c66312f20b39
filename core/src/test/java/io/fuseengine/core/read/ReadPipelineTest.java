package io.fuseengine.core.read;

import io.fuseengine.core.errno.Errno;
import org.agrona.BufferUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class ReadPipelineTest
{
    private static final String HASH = "0123456789abcdef0123456789abcdef01234567";
    private final InMemoryTransport transport = new InMemoryTransport();
    private final ByteBuffer dest = BufferUtil.allocateDirectAligned(1 << 20, 64);
    private final long address = BufferUtil.address(dest);
    private ReadPipeline pipeline;

    @AfterEach
    void close()
    {
        if (pipeline != null)
        {
            pipeline.close();
        }
    }

    @Test
    void shouldCopyRequestedBytesIntoDestination()
    {
        pipeline = new ReadPipeline(8, 16, TimeUnit.SECONDS.toNanos(5), transport);
        final StreamTarget target = new StreamTarget(HASH, 3, 10_000_000, "t/f");

        assertThat(pipeline.read(target, 1_234_567, 131072, address)).isEqualTo(131072);
        for (int i = 0; i < 131072; i++)
        {
            assertThat(dest.get(i)).isEqualTo(GeneratedBytes.at(3, 1_234_567 + i));
        }
    }

    @Test
    void shouldReadShortOnlyAtEndOfFileAndZeroPastIt()
    {
        pipeline = new ReadPipeline(8, 16, TimeUnit.SECONDS.toNanos(5), transport);
        final StreamTarget target = new StreamTarget(HASH, 0, 1000, "t/f");

        assertThat(pipeline.read(target, 900, 4096, address)).isEqualTo(100);
        final int before = transport.submitted.get();
        assertThat(pipeline.read(target, 1000, 4096, address)).isZero();
        assertThat(pipeline.read(target, 5000, 4096, address)).isZero();
        assertThat(transport.submitted.get()).as("no backend request past EOF").isEqualTo(before);
    }

    @Test
    void shouldAnswerEioWhenTransportDeliversFewerBytesThanAsked()
    {
        pipeline = new ReadPipeline(8, 16, TimeUnit.SECONDS.toNanos(5), transport);
        transport.shortBy = 1;
        assertThat(pipeline.read(new StreamTarget(HASH, 0, 1 << 20, "t/f"), 0, 4096, address)).isEqualTo(-Errno.EIO);
    }

    @Test
    void shouldPassTransportErrnoThrough()
    {
        pipeline = new ReadPipeline(8, 16, TimeUnit.SECONDS.toNanos(5), transport);
        transport.failWith = Errno.ENOENT;
        assertThat(pipeline.read(new StreamTarget(HASH, 0, 1 << 20, "t/f"), 0, 4096, address)).isEqualTo(-Errno.ENOENT);
    }

    @Test
    void shouldReturnEtimedoutWithinDeadlineWhenTransportStalls()
    {
        pipeline = new ReadPipeline(8, 16, TimeUnit.MILLISECONDS.toNanos(200), transport);
        transport.stall = true;
        final long start = System.nanoTime();
        assertThat(pipeline.read(new StreamTarget(HASH, 0, 1 << 20, "t/f"), 0, 4096, address)).isEqualTo(-Errno.ETIMEDOUT);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(150L, 1200L);
        assertThat(pipeline.slots().inUse()).isZero();
        assertThat(pipeline.timeouts()).isEqualTo(1);
    }

    @Test
    void shouldReturnEcanceledAtOnceWhenAnotherThreadCancelsAStartedRead() throws Exception
    {
        pipeline = new ReadPipeline(8, 16, TimeUnit.SECONDS.toNanos(30), transport);
        transport.stall = true;
        final StreamTarget target = new StreamTarget(HASH, 0, 1 << 20, "t/f");
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        final long ticket = pipeline.start(target, 4096, 4096, address, deadline);
        assertThat(ticket).isNotNegative();
        final Thread canceller = new Thread(() -> pipeline.cancel(ticket, Errno.ECANCELED));
        canceller.start();
        assertThat(pipeline.await(ticket, 4096, deadline)).isEqualTo(-Errno.ECANCELED);
        canceller.join();
        assertThat(pipeline.cancel(ticket, Errno.ECANCELED)).as("a finished ticket is left alone").isFalse();
        assertThat(pipeline.slots().inUse()).isZero();
    }

    @Test
    void shouldAnswerEtimedoutWithoutAskingTheBackendWhenTheCallersDeadlineHasPassed()
    {
        pipeline = new ReadPipeline(8, 16, TimeUnit.SECONDS.toNanos(5), transport);
        final StreamTarget target = new StreamTarget(HASH, 0, 1 << 20, "t/f");
        assertThat(pipeline.read(target, 0, 4096, address, System.nanoTime() - 1)).isEqualTo(-Errno.ETIMEDOUT);
        assertThat(transport.submitted.get()).isZero();
        assertThat(pipeline.start(target, (1 << 20) - 10, 4096, address, System.nanoTime() + 1_000_000_000L))
            .as("start takes exact in-file ranges only").isEqualTo(-Errno.EINVAL);
    }

    @Test
    void shouldAnswerEagainWhenEverySlotIsBusy() throws Exception
    {
        pipeline = new ReadPipeline(2, 16, TimeUnit.SECONDS.toNanos(3), transport);
        transport.stall = true;
        final StreamTarget target = new StreamTarget(HASH, 0, 1 << 20, "t/f");
        final CountDownLatch started = new CountDownLatch(2);
        final List<Thread> holders = new ArrayList<>();
        final AtomicInteger holderResults = new AtomicInteger();
        for (int i = 0; i < 2; i++)
        {
            final ByteBuffer own = ByteBuffer.allocateDirect(4096);
            final Thread t = new Thread(() ->
            {
                started.countDown();
                if (pipeline.read(target, 0, 4096, BufferUtil.address(own)) == -Errno.ETIMEDOUT)
                {
                    holderResults.incrementAndGet();
                }
            });
            t.start();
            holders.add(t);
        }
        started.await();
        final long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (pipeline.slots().inUse() < 2 && System.nanoTime() < waitUntil)
        {
            Thread.onSpinWait();
        }
        assertThat(pipeline.slots().inUse()).isEqualTo(2);

        assertThat(pipeline.read(target, 0, 4096, address)).isEqualTo(-Errno.EAGAIN);
        assertThat(pipeline.rejected()).isEqualTo(1);
        for (final Thread t : holders)
        {
            t.join(10_000);
        }
        assertThat(holderResults.get()).isEqualTo(2);
    }

    @Test
    void shouldRejectNegativeOffsetWithEinval()
    {
        pipeline = new ReadPipeline(2, 16, TimeUnit.SECONDS.toNanos(3), transport);
        assertThat(pipeline.read(new StreamTarget(HASH, 0, 100, "t/f"), -1, 10, address)).isEqualTo(-Errno.EINVAL);
    }
}
