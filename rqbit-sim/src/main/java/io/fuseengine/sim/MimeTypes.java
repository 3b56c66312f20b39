package io.fuseengine.sim;

import java.util.Locale;
import java.util.Map;

/** Content-Type from a file extension, like rqbit's mime_guess. Any thread. */
final class MimeTypes {
    private static final Map<String, String> BY_EXTENSION = Map.ofEntries(
            Map.entry("mp4", "video/mp4"), Map.entry("m4v", "video/mp4"), Map.entry("mkv", "video/x-matroska"),
            Map.entry("webm", "video/webm"), Map.entry("avi", "video/x-msvideo"), Map.entry("mov", "video/quicktime"),
            Map.entry("ts", "video/mp2t"), Map.entry("mp3", "audio/mpeg"), Map.entry("flac", "audio/flac"),
            Map.entry("ogg", "audio/ogg"), Map.entry("wav", "audio/wav"), Map.entry("m4a", "audio/mp4"),
            Map.entry("jpg", "image/jpeg"), Map.entry("jpeg", "image/jpeg"), Map.entry("png", "image/png"),
            Map.entry("gif", "image/gif"), Map.entry("srt", "application/x-subrip"), Map.entry("vtt", "text/vtt"),
            Map.entry("txt", "text/plain"), Map.entry("nfo", "text/plain"), Map.entry("json", "application/json"),
            Map.entry("iso", "application/x-iso9660-image"), Map.entry("zip", "application/zip"),
            Map.entry("pdf", "application/pdf"), Map.entry("html", "text/html"));

    private MimeTypes() {
    }

    static String forName(String fileName) {
        int slash = fileName.lastIndexOf('/');
        int dot = fileName.lastIndexOf('.');
        if (dot <= slash || dot == fileName.length() - 1) {
            return SimConstants.OCTET_STREAM;
        }
        String ext = fileName.substring(dot + 1).toLowerCase(Locale.ROOT);
        return BY_EXTENSION.getOrDefault(ext, SimConstants.OCTET_STREAM);
    }

    static boolean isPlayable(String fileName) {
        String t = forName(fileName);
        return t.startsWith("video/") || t.startsWith("audio/");
    }
}
