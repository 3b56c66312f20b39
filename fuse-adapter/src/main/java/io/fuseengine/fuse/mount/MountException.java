package io.fuseengine.fuse.mount;

/**
 * A mount could not be made (bad mountpoint, already mounted, libfuse refused) or undone.
 */
public final class MountException extends IllegalStateException
{
    private static final long serialVersionUID = 1L;

    public MountException(final String message)
    {
        super(message);
    }

    public MountException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
