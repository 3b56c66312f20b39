package io.fuseengine.bench;

import java.util.List;

/**
 * The JVM flags every forked benchmark JVM gets through {@code @Fork(jvmArgsAppend = ...)}: a copy of the parent
 * pom's {@code ${fe.jvm.flags}} (annotation values must be compile-time constants, so they cannot be read from the
 * build). {@code JvmFlagsTest} fails the build's tests if the two drift apart.
 * <p>
 * Java 23+ also wants {@code --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow}, which Java 17
 * refuses; {@code run-jmh.sh} appends them with {@code -jvmArgsAppend} when the JVM is 23 or newer.
 */
public final class JvmFlags
{
    public static final String MISC = "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED";
    public static final String LANG = "--add-opens=java.base/java.lang=ALL-UNNAMED";
    public static final String REFLECT = "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED";
    public static final String NIO = "--add-opens=java.base/java.nio=ALL-UNNAMED";
    public static final String NIO_CH = "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED";
    public static final String REF = "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED";
    public static final String JAVAC_FILE = "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED";

    /** The same flags, in order, for code and tests. */
    public static final List<String> ALL = List.of(MISC, LANG, REFLECT, NIO, NIO_CH, REF, JAVAC_FILE);

    /*
     * Benchmark hygiene, not part of ${fe.jvm.flags}: a fixed, pre-touched heap. On the Firecracker VMs this project
     * runs on, the first touch of a fresh page costs so much (~150 MB/s) that, without pre-touching, a rival that
     * allocates its payload (the seed's byte[] per read) is timed on page faults of never-used eden instead of on
     * the allocation and GC it costs in a long-running process, where eden is recycled. Costs ~7 s per fork here.
     */
    public static final String HEAP_MIN = "-Xms1g";
    public static final String HEAP_MAX = "-Xmx1g";
    public static final String PRE_TOUCH = "-XX:+AlwaysPreTouch";

    private JvmFlags()
    {
    }
}
