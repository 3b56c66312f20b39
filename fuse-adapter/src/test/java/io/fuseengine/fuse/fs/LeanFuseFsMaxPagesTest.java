package io.fuseengine.fuse.fs;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The pages per FUSE request a lean mount asks the kernel for, read from its {@code max_read} option. */
class LeanFuseFsMaxPagesTest
{
    @Test
    void shouldAskForMaxReadInPagesWhenAboveOneTwentyEightKibibytes()
    {
        assertThat(LeanFuseFs.maxPages(new String[] {"-o", "ro,max_read=1048576,use_ino"})).isEqualTo(256);
        assertThat(LeanFuseFs.maxPages(new String[] {"-o", "max_read=524288"})).isEqualTo(128);
    }

    @Test
    void shouldTakeTheLastMaxReadAmongAllOptionStrings()
    {
        assertThat(LeanFuseFs.maxPages(new String[] {"-o", "ro,max_read=1048576", "-o", "max_read=131072"})).isZero();
        assertThat(LeanFuseFs.maxPages(new String[] {"-o", "max_read=131072,max_read=262144"})).isEqualTo(64);
    }

    @Test
    void shouldLeaveLibfusesReplyAloneWithoutALargeNumericMaxRead()
    {
        assertThat(LeanFuseFs.maxPages(new String[] {"-o", "ro,use_ino"})).isZero();
        assertThat(LeanFuseFs.maxPages(new String[] {"-o", "max_read=65536"})).isZero();
        assertThat(LeanFuseFs.maxPages(new String[] {"-o", "max_read=lots"})).isZero();
        assertThat(LeanFuseFs.maxPages(new String[] {"max_read=1048576"})).as("not after -o").isZero();
        assertThat(LeanFuseFs.maxPages(new String[0])).isZero();
    }
}
