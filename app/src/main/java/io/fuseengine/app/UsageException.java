package io.fuseengine.app;

/** The user asked for something that cannot be done as asked (bad mountpoint, ...): exit code 2. */
final class UsageException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    UsageException(final String message)
    {
        super(message);
    }
}
