package io.fuseengine.sim;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.util.concurrent.EventExecutor;

import java.net.InetSocketAddress;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The listening socket and its connections, on one small event loop group (epoll when available, else NIO) that
 * lives from construction to {@link #shutdown()}; {@link #bind}/{@link #unbind} can repeat in between.
 * Methods are called by the owner thread ({@link RqbitSim}), never from an event loop.
 */
final class SimServer {
    private static final Logger LOG = LoggerFactory.getLogger(SimServer.class);

    private final EventLoopGroup group;
    private final Class<? extends ServerChannel> channelClass;
    private final ChannelGroup connections;
    private final Supplier<ConnectionHandler> handlers;
    private Channel serverChannel;

    SimServer(Supplier<ConnectionHandler> handlers) {
        this.handlers = handlers;
        boolean epoll = Epoll.isAvailable();
        this.group = new MultiThreadIoEventLoopGroup(SimConstants.EVENT_LOOP_THREADS,
                r -> {
                    Thread t = new Thread(r, "rqbit-sim-io");
                    t.setDaemon(true);
                    return t;
                },
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        this.channelClass = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        this.connections = new DefaultChannelGroup("rqbit-sim-connections", group.next());
        LOG.debug("transport: {}", epoll ? "epoll" : "nio");
    }

    /** Binds 127.0.0.1:{@code port} (0 = ephemeral) and returns the bound port. */
    synchronized int bind(int port) throws InterruptedException {
        if (serverChannel != null) {
            throw new IllegalStateException("already listening on " + serverChannel.localAddress());
        }
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(channelClass)
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(ChannelOption.SO_BACKLOG, 128)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(SimConstants.WRITE_LOW_WATER_MARK, SimConstants.WRITE_HIGH_WATER_MARK))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.add(ch);
                        ch.pipeline().addLast("http", new HttpServerCodec());
                        ch.pipeline().addLast("aggregate", new HttpObjectAggregator(SimConstants.MAX_REQUEST_BODY));
                        ch.pipeline().addLast("api", handlers.get());
                    }
                });
        serverChannel = b.bind(new InetSocketAddress(SimConstants.HOST, port)).sync().channel();
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /** Closes the listening socket and every connection; waits until they are closed. */
    synchronized void unbind() {
        Channel sc = serverChannel;
        serverChannel = null;
        if (sc != null) {
            sc.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        connections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        drainEventLoops();
    }

    /**
     * Runs an empty task on every event loop, twice, and waits for it: a close future completes just before the
     * loop queues channelInactive (which releases streams and updates counters), so the second round runs after it.
     */
    private void drainEventLoops() {
        for (int round = 0; round < 2 && !group.isShuttingDown(); round++) {
            drainOnce();
        }
    }

    private void drainOnce() {
        for (EventExecutor e : group) {
            try {
                e.submit(() -> { }).awaitUninterruptibly(5, TimeUnit.SECONDS);
            } catch (RejectedExecutionException ignored) {
                return;
            }
        }
    }

    synchronized boolean listening() {
        return serverChannel != null;
    }

    void shutdown() {
        unbind();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
