package io.fuseengine.core.config;

/**
 * The configuration is invalid; the message says which setting and why, in words fit for the user.
 */
public final class ConfigException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    public ConfigException(final String message)
    {
        super(message);
    }

    public ConfigException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
