package io.fuseengine.core.errno;

/**
 * Linux errno values used on the data path, and the one place that maps causes to them.
 * <p>
 * Errors travel as plain {@code int} values (positive errno) in read slots; FUSE callbacks return them negated.
 * The mapping follows the seed design's table: deadline → ETIMEDOUT, unknown torrent or file → ENOENT,
 * 401/403 → EACCES, bad range → EINVAL, backend unreachable / 5xx / reset / short body → EIO,
 * ring or slot pool exhausted → EAGAIN, a range with a missing piece of a paused torrent (not ready: rqbit would
 * never deliver it) → EAGAIN ({@link #torrentPaused()}).
 */
public final class Errno
{
    public static final int OK = 0;
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    /** Interrupted while waiting. */
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EBUSY = 16;
    /** No such device: a FUSE reply written after the session ended (unmounted). */
    public static final int ENODEV = 19;
    public static final int EEXIST = 17;
    public static final int ENOTDIR = 20;
    public static final int EISDIR = 21;
    public static final int EINVAL = 22;
    /** Too many open files in the system (the open-file table is full). */
    public static final int ENFILE = 23;
    public static final int EROFS = 30;
    public static final int ERANGE = 34;
    public static final int ENOSYS = 38;
    public static final int ENOTEMPTY = 39;
    public static final int ENODATA = 61;
    public static final int ENOTSUP = 95;
    public static final int ETIMEDOUT = 110;
    public static final int ECONNREFUSED = 111;
    /** Operation cancelled: a read-ahead fetch made useless by a seek or a close. */
    public static final int ECANCELED = 125;

    private Errno()
    {
    }

    /**
     * Maps an HTTP status from rqbit to an errno. Only non-success statuses are meaningful here.
     *
     * @param status HTTP status code.
     * @return positive errno.
     */
    public static int fromHttpStatus(final int status)
    {
        switch (status)
        {
            case 404:
                return ENOENT;
            case 401:
            case 403:
                return EACCES;
            case 400:
            case 416:
                return EINVAL;
            case 408:
            case 504:
                return ETIMEDOUT;
            default:
                return EIO;
        }
    }

    /**
     * The errno of a read that needs a piece the torrent does not have while rqbit has the torrent paused: the seed
     * design's "not ready", answered at once instead of stalling until the read deadline (a paused torrent never
     * delivers missing pieces).
     *
     * @return {@link #EAGAIN}.
     */
    public static int torrentPaused()
    {
        return EAGAIN;
    }

    /**
     * Maps an exception raised at an edge (connect, socket, parse) to an errno.
     *
     * @param cause what went wrong.
     * @return positive errno.
     */
    public static int fromThrowable(final Throwable cause)
    {
        Throwable t = cause;
        for (int depth = 0; t != null && depth < 8; depth++, t = t.getCause())
        {
            if (t instanceof java.util.concurrent.TimeoutException
                || t instanceof java.net.SocketTimeoutException
                || t instanceof java.net.http.HttpTimeoutException)
            {
                return ETIMEDOUT;
            }
        }
        return EIO;
    }

    /**
     * @param errno positive errno.
     * @return its symbolic name, for log lines.
     */
    public static String name(final int errno)
    {
        switch (errno)
        {
            case OK: return "OK";
            case EPERM: return "EPERM";
            case ENOENT: return "ENOENT";
            case EINTR: return "EINTR";
            case EIO: return "EIO";
            case EBADF: return "EBADF";
            case EAGAIN: return "EAGAIN";
            case ENOMEM: return "ENOMEM";
            case EACCES: return "EACCES";
            case EBUSY: return "EBUSY";
            case EEXIST: return "EEXIST";
            case ENODEV: return "ENODEV";
            case ENOTDIR: return "ENOTDIR";
            case EISDIR: return "EISDIR";
            case EINVAL: return "EINVAL";
            case ENFILE: return "ENFILE";
            case EROFS: return "EROFS";
            case ERANGE: return "ERANGE";
            case ENOSYS: return "ENOSYS";
            case ENOTEMPTY: return "ENOTEMPTY";
            case ENODATA: return "ENODATA";
            case ENOTSUP: return "ENOTSUP";
            case ETIMEDOUT: return "ETIMEDOUT";
            case ECONNREFUSED: return "ECONNREFUSED";
            case ECANCELED: return "ECANCELED";
            default: return "errno " + errno;
        }
    }
}
