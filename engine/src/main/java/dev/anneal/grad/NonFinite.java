package dev.anneal.grad;

/**
 * What a step does when a gradient it is given holds a NaN or an infinity that no
 * {@link LossScale} drops. The check reads every gradient once before anything changes, so a
 * stopped or skipped step leaves the parameters, the optimizer state and the step counter as
 * they were, and no checkpoint ever holds weights such a step made non-finite.
 */
public enum NonFinite {
    /** Refuses the step with an {@link ArithmeticException} that names the parameters (the default). */
    STOP,
    /** Drops the step and counts it ({@code Optimizer.skippedSteps()}), as a loss scaler drops an overflow. */
    SKIP,
    /** Updates with them, as {@code torch.optim} does; the parameters may become NaN. Saves the check's read. */
    APPLY;

    public static final NonFinite DEFAULT = STOP;
}
