package io.fuseengine.core.meta;

import io.fuseengine.core.errno.Errno;

/**
 * A metadata request to rqbit failed: unreachable, timed out, refused, or answered a document we reject.
 * Carries the errno the failure maps to (see {@link Errno}).
 */
public final class MetadataException extends Exception
{
    private static final long serialVersionUID = 1L;
    private final int errno;

    public MetadataException(final int errno, final String message, final Throwable cause)
    {
        super(message, cause);
        this.errno = errno;
    }

    public MetadataException(final int errno, final String message)
    {
        this(errno, message, null);
    }

    /**
     * @return positive errno.
     */
    public int errno()
    {
        return errno;
    }
}
