package dev.anneal.parallel;

/**
 * An operation of a {@link Collective} that could not complete: a rank failed, stopped, did not
 * answer in time, or called a different operation. It names the rank at fault where one is known.
 */
public final class CollectiveException extends RuntimeException {
    private final int failedRank;

    /** @param failedRank the rank at fault, or -1 when none is known */
    public CollectiveException(int failedRank, String message, Throwable cause) {
        super(message, cause);
        this.failedRank = failedRank;
    }

    /** The rank at fault, or -1 when none is known. */
    public int failedRank() {
        return failedRank;
    }
}
