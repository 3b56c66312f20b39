package io.fuseengine.sim;

/**
 * The rqbit daemon version whose HTTP behaviour the simulator emulates.
 * See {@code shared/rqbit-api.md} for the differences.
 */
public enum RqbitVersion {
    /** rqbit 7.0.1: list items carry only id and info_hash, details have no id/attributes, no /haves. */
    V7("7.0.1"),
    /** rqbit 8.0.0: bounded ranges answered 200 with the whole file, /haves is a text/plain debug dump. */
    V8("8.0.0"),
    /** rqbit 9.0.1: bounded ranges answered 206, total_pieces, binary /haves. */
    V9("9.0.1");

    private final String versionString;

    RqbitVersion(String versionString) {
        this.versionString = versionString;
    }

    /** The {@code version} string reported by {@code GET /}. */
    public String versionString() {
        return versionString;
    }

    boolean supportsBoundedRange() {
        return this == V9;
    }

    boolean listItemsHaveName() {
        return this != V7;
    }

    boolean detailsHaveIdAndAttributes() {
        return this != V7;
    }

    boolean detailsHaveTotalPieces() {
        return this == V9;
    }

    boolean supportsWithStats() {
        return this == V9;
    }
}
