package io.fuseengine.sim;

import java.util.Objects;

/** Immutable configuration of an {@link RqbitSim}. Build with {@link #builder()}. */
public final class SimConfig {
    private final int port;
    private final RqbitVersion version;
    private final long downloadRateBytesPerSecond;
    private final String user;
    private final String password;

    private SimConfig(Builder b) {
        this.port = b.port;
        this.version = b.version;
        this.downloadRateBytesPerSecond = b.downloadRate;
        this.user = b.user;
        this.password = b.password;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Requested port; 0 means ephemeral. */
    public int port() {
        return port;
    }

    public RqbitVersion version() {
        return version;
    }

    /** 0 means every piece is present from the start. */
    public long downloadRateBytesPerSecond() {
        return downloadRateBytesPerSecond;
    }

    /** Always 127.0.0.1. */
    public String host() {
        return SimConstants.HOST;
    }

    public boolean basicAuthEnabled() {
        return user != null;
    }

    String user() {
        return user;
    }

    String password() {
        return password;
    }

    @Override
    public String toString() {
        return "SimConfig{port=" + port + ", version=" + version + ", rate=" + downloadRateBytesPerSecond
                + ", basicAuth=" + basicAuthEnabled() + '}';
    }

    /** Not thread-safe; use from one thread. */
    public static final class Builder {
        private int port;
        private RqbitVersion version = RqbitVersion.V9;
        private long downloadRate;
        private String user;
        private String password;

        private Builder() {
        }

        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port out of range: " + port);
            }
            this.port = port;
            return this;
        }

        public Builder version(RqbitVersion version) {
            this.version = Objects.requireNonNull(version, "version");
            return this;
        }

        public Builder downloadRateBytesPerSecond(long rate) {
            if (rate < 0) {
                throw new IllegalArgumentException("rate must be >= 0: " + rate);
            }
            this.downloadRate = rate;
            return this;
        }

        public Builder basicAuth(String user, String password) {
            this.user = Objects.requireNonNull(user, "user");
            this.password = Objects.requireNonNull(password, "password");
            return this;
        }

        public SimConfig build() {
            return new SimConfig(this);
        }
    }
}
