package io.fuseengine.bench;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

class JvmFlagsTest
{
    @Test
    void forkFlagsMatchTheParentPom() throws IOException
    {
        final Properties p = new Properties();
        try (InputStream in = JvmFlagsTest.class.getResourceAsStream("/fe-jvm-flags.properties"))
        {
            assertThat(in).isNotNull();
            p.load(in);
        }
        assertThat(String.join(" ", JvmFlags.ALL)).isEqualTo(p.getProperty("fe.jvm.flags").trim());
    }
}
