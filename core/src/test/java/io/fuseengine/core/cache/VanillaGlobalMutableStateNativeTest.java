package io.fuseengine.core.cache;

import net.openhft.chronicle.hash.VanillaGlobalMutableState;
import net.openhft.chronicle.values.Values;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shipped {@code VanillaGlobalMutableState$$Native} (core/src/main/java/net/openhft/chronicle/hash) is what
 * Chronicle Values would otherwise generate and compile with javac at every start. To regenerate it after a
 * Chronicle upgrade: run {@link #generatedSource()} (e.g. from a scratch main with the same JVM flags as the tests)
 * and replace everything below the file's comment header with its output.
 */
final class VanillaGlobalMutableStateNativeTest
{
    private static final Path SHIPPED =
        Path.of("src/main/java/net/openhft/chronicle/hash/VanillaGlobalMutableState$$Native.java");

    @Test
    void shouldResolveChronicleMapsHeaderStructToTheShippedClassInsteadOfCompilingOne() throws Exception
    {
        final Class<?> resolved = Values.nativeClassFor(VanillaGlobalMutableState.class);

        assertThat(resolved.getName()).isEqualTo("net.openhft.chronicle.hash.VanillaGlobalMutableState$$Native");
        // a class Chronicle compiled at run time has no code source; the shipped one comes from our classes
        assertThat(resolved.getProtectionDomain().getCodeSource()).as("code source").isNotNull();
        assertThat(resolved.getProtectionDomain().getCodeSource().getLocation().getPath()).contains("core");
    }

    @Test
    void shouldMatchWhatChronicleValuesGeneratesForTheVersionOnTheClassPath() throws Exception
    {
        final String shipped = Files.readAllLines(SHIPPED, StandardCharsets.UTF_8).stream()
            .dropWhile(line -> line.startsWith("//"))
            .collect(Collectors.joining("\n", "", "\n"));

        assertThat(shipped.strip()).isEqualTo(generatedSource().strip());
    }

    static String generatedSource() throws Exception
    {
        final Class<?> valueModel = Class.forName("net.openhft.chronicle.values.ValueModel");
        final Method acquire = valueModel.getDeclaredMethod("acquire", Class.class);
        acquire.setAccessible(true);
        final Object model = acquire.invoke(null, VanillaGlobalMutableState.class);
        final Method simpleName = valueModel.getDeclaredMethod("simpleName");
        simpleName.setAccessible(true);
        final Method generate = Class.forName("net.openhft.chronicle.values.Generators")
            .getDeclaredMethod("generateNativeClass", valueModel, String.class);
        generate.setAccessible(true);
        return ((String)generate.invoke(null, model, simpleName.invoke(model) + "$$Native")).replace("\r\n", "\n");
    }
}
