package io.fuseengine.sim;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * Immutable description of a torrent to serve: generated content (default) or real files.
 * Build with {@link #builder(String)}, {@link #singleFile(String, long)} or {@link #fromPath(Path)}.
 */
public final class TorrentSpec {
    private final String name;
    private final int pieceLength;
    private final List<FileSpec> files;
    private final String infoHash;
    private final long contentSeed;
    private final boolean singleFile;
    private final String outputFolder;

    private TorrentSpec(String name, int pieceLength, List<FileSpec> files, String infoHash, Long contentSeed,
                        boolean singleFile, String outputFolder) {
        this.name = name;
        this.pieceLength = pieceLength;
        this.files = List.copyOf(files);
        this.infoHash = infoHash != null ? infoHash : sha1Hex(name);
        this.contentSeed = contentSeed != null ? contentSeed : Long.parseUnsignedLong(this.infoHash.substring(0, 16), 16);
        this.singleFile = singleFile;
        this.outputFolder = outputFolder;
    }

    /** A multi-file torrent named {@code name}. */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** A single-file torrent of generated content: one file whose only component is {@code name}. */
    public static TorrentSpec singleFile(String name, long length) {
        return new Builder(name).singleFile(length).build();
    }

    /**
     * A torrent served from disk: a directory becomes a multi-file torrent of its regular files, a regular file a
     * single-file torrent. The torrent is named after the path's last element.
     */
    public static TorrentSpec fromPath(Path path) {
        Path fileName = path.toAbsolutePath().normalize().getFileName();
        String name = fileName == null ? path.toString() : fileName.toString();
        if (Files.isDirectory(path)) {
            return builder(name).sourceDirectory(path).build();
        }
        if (!Files.isRegularFile(path)) {
            throw new IllegalArgumentException("not a regular file or directory: " + path);
        }
        Builder b = new Builder(name);
        b.singleFile = true;
        long size;
        try {
            size = Files.size(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        b.files.add(new FileSpec(List.of(name), size, false, path.toAbsolutePath()));
        b.outputFolder = parentOf(path);
        return b.build();
    }

    public String name() {
        return name;
    }

    public int pieceLength() {
        return pieceLength;
    }

    public String infoHash() {
        return infoHash;
    }

    public long contentSeed() {
        return contentSeed;
    }

    public boolean isSingleFile() {
        return singleFile;
    }

    /** Number of entries in rqbit's {@code files}, padding included. */
    public int fileCount() {
        return files.size();
    }

    List<FileSpec> files() {
        return files;
    }

    String outputFolder() {
        return outputFolder;
    }

    static String sha1Hex(String s) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-1");
            return HexFormat.of().formatHex(md.digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String parentOf(Path p) {
        Path parent = p.toAbsolutePath().normalize().getParent();
        return parent == null ? "/" : parent.toString();
    }

    /** One entry of {@code files}. {@code source} is null for generated or padding content. */
    static final class FileSpec {
        final List<String> components;
        final long length;
        final boolean padding;
        final Path source;

        FileSpec(List<String> components, long length, boolean padding, Path source) {
            this.components = List.copyOf(components);
            this.length = length;
            this.padding = padding;
            this.source = source;
        }
    }

    /** Not thread-safe; use from one thread. */
    public static final class Builder {
        private final String name;
        private final List<FileSpec> files = new ArrayList<>();
        private int pieceLength = SimConstants.DEFAULT_PIECE_LENGTH;
        private String infoHash;
        private Long contentSeed;
        private Path sourceDirectory;
        private boolean singleFile;
        private String outputFolder;

        private Builder(String name) {
            Objects.requireNonNull(name, "name");
            if (name.isEmpty()) {
                throw new IllegalArgumentException("empty torrent name");
            }
            this.name = name;
        }

        public Builder pieceLength(int pieceLength) {
            if (pieceLength <= 0) {
                throw new IllegalArgumentException("piece length must be > 0: " + pieceLength);
            }
            this.pieceLength = pieceLength;
            return this;
        }

        /** Adds a generated file; components are relative to the torrent folder and may be hostile strings. */
        public Builder file(long length, String... components) {
            if (singleFile) {
                throw new IllegalStateException("a single-file torrent has exactly one file");
            }
            if (length < 0) {
                throw new IllegalArgumentException("negative length " + length);
            }
            if (components.length == 0) {
                throw new IllegalArgumentException("a file needs at least one component");
            }
            for (String c : components) {
                Objects.requireNonNull(c, "component");
            }
            files.add(new FileSpec(List.of(components), length, false, null));
            return this;
        }

        /**
         * Makes this a single-file torrent: one generated file of {@code length} bytes whose only component is the
         * torrent name (use to combine single-file with {@link #pieceLength}, {@link #infoHash} etc.).
         */
        public Builder singleFile(long length) {
            if (!files.isEmpty()) {
                throw new IllegalStateException("singleFile() cannot be combined with other files");
            }
            file(length, name);
            singleFile = true;
            return this;
        }

        /** Adds a BEP 47 padding file ({@code .pad/<length>}, zero bytes, {@code attributes.padding=true}). */
        public Builder paddingFile(long length) {
            if (length <= 0) {
                throw new IllegalArgumentException("padding length must be > 0: " + length);
            }
            files.add(new FileSpec(List.of(SimConstants.PADDING_DIR, Long.toString(length)), length, true, null));
            return this;
        }

        public Builder infoHash(String hex40) {
            Objects.requireNonNull(hex40, "infoHash");
            if (!hex40.matches("[0-9a-fA-F]{40}")) {
                throw new IllegalArgumentException("info hash must be 40 hex digits: " + hex40);
            }
            this.infoHash = hex40.toLowerCase(Locale.ROOT);
            return this;
        }

        public Builder contentSeed(long seed) {
            this.contentSeed = seed;
            return this;
        }

        /** Serve the regular files under {@code dir} (recursively, sorted by path) instead of generated files. */
        public Builder sourceDirectory(Path dir) {
            if (!Files.isDirectory(dir)) {
                throw new IllegalArgumentException("not a directory: " + dir);
            }
            this.sourceDirectory = dir.toAbsolutePath().normalize();
            return this;
        }

        public TorrentSpec build() {
            List<FileSpec> list = new ArrayList<>(files);
            String folder = outputFolder;
            if (sourceDirectory != null) {
                if (!files.isEmpty() || singleFile) {
                    throw new IllegalStateException("sourceDirectory cannot be combined with file()/paddingFile()");
                }
                list.addAll(scan(sourceDirectory));
                folder = sourceDirectory.toString();
            }
            if (list.isEmpty()) {
                throw new IllegalStateException("torrent " + name + " has no files");
            }
            if (folder == null) {
                folder = SimConstants.OUTPUT_ROOT + "/" + name;
            }
            return new TorrentSpec(name, pieceLength, list, infoHash, contentSeed, singleFile, folder);
        }

        private static List<FileSpec> scan(Path dir) {
            List<Path> paths;
            try (Stream<Path> walk = Files.walk(dir)) {
                paths = new ArrayList<>(walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).toList());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Collections.sort(paths);
            List<FileSpec> out = new ArrayList<>();
            for (Path p : paths) {
                Path rel = dir.relativize(p);
                List<String> comps = new ArrayList<>();
                rel.forEach(part -> comps.add(part.toString()));
                try {
                    out.add(new FileSpec(comps, Files.size(p), false, p));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return out;
        }
    }
}
