package io.fuseengine.fuse.e2e;

import io.fuseengine.core.config.EngineConfig;
import io.fuseengine.core.read.ReadPipeline;
import io.fuseengine.core.read.StreamTarget;
import io.fuseengine.sim.TorrentSpec;
import io.fuseengine.transport.NettyRangeTransport;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;

class ScratchTest
{
    @Test
    void timing() throws Exception
    {
        try (var sim = SimMount.startSim())
        {
            var t = sim.addTorrent(TorrentSpec.builder("show").file(64L << 20, "v.mkv").file(1, "x").build());
            var cfg = EngineConfig.context().rqbitUrl(sim.baseUrl()).conclude();
            var transport = new NettyRangeTransport(cfg);
            try (var p = new ReadPipeline(16, 64, 10_000_000_000L, transport))
            {
                ByteBuffer bb = BufferUtil.allocateDirectAligned(131072, 64);
                long addr = new UnsafeBuffer(bb).addressOffset();
                var target = new StreamTarget(t.infoHash(), 0, 64L << 20, "x");
                for (int len : new int[] {4096, 65536, 131072})
                {
                    long[] lat = new long[60];
                    for (int i = 0; i < lat.length; i++)
                    {
                        long t0 = System.nanoTime();
                        int r = p.read(target, (long)i * 131072, len, addr);
                        lat[i] = (System.nanoTime() - t0) / 1000;
                        if (r != len) throw new AssertionError(r);
                    }
                    Arrays.sort(lat);
                    System.out.println("len " + len + " us p10 " + lat[6] + " p50 " + lat[30] + " p90 " + lat[54] + " max " + lat[59]
                        + " conns " + transport.connectionsOpened() + " sent " + transport.requestsSent() + " legacy " + transport.legacyMode());
                }
            }
        }
    }
}
