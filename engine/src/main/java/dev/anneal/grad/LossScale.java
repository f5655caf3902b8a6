package dev.anneal.grad;

import dev.anneal.config.Checks;
import dev.anneal.config.InvalidConfigException;

/**
 * Loss scaling: the loss is multiplied by a scale before the backward pass, so that small
 * gradients survive float16, and the optimizer divides it out of the gradients before anything
 * else reads them. A step whose scaled gradients hold a NaN or an infinity (an overflow) can be
 * dropped: the parameters, the optimizer state and the step counter stay as they were.
 *
 * <ul>
 *   <li>{@link #none()}: no scaling (the default).</li>
 *   <li>{@link #fixed(double, boolean)}: MindSpore's {@code FixedLossScaleManager(loss_scale,
 *   drop_overflow_update)}; the scale never changes.</li>
 *   <li>{@link #dynamic()}: PyTorch's {@code GradScaler} (1.13, {@code torch/cuda/amp/grad_scaler.py}
 *   with its {@code _amp_update_scale_} kernel): after an overflow the scale is multiplied by
 *   {@code backoffFactor}; after {@code growthInterval} steps in a row without one, by
 *   {@code growthFactor}, unless that would make it infinite. Each product is taken in double and
 *   rounded to float32, as the kernel's {@code float * double} is.</li>
 *   <li>{@link #mindSporeDynamic()}: MindSpore's {@code DynamicLossScaleManager} (its
 *   {@code DynamicLossScaleUpdateCell}): the same rule with {@code backoff = 1 / scaleFactor},
 *   and the scale never below 1.</li>
 * </ul>
 *
 * The gradients are unscaled as both do it: multiplied by {@code 1 / scale} rounded to float32.
 *
 * @param initScale      the scale of the first step
 * @param growthFactor   what the scale is multiplied by after {@code growthInterval} good steps; 1 keeps it
 * @param backoffFactor  what the scale is multiplied by after an overflow; 1 keeps it
 * @param growthInterval good steps in a row before the scale grows
 * @param minScale       the smallest scale an overflow leaves (MindSpore's 1; PyTorch has none: 0)
 * @param dropOverflow   whether an overflowing step is dropped; when false the gradients are
 *                       unscaled and the optimizer's {@link NonFinite} policy decides
 */
public record LossScale(double initScale, double growthFactor, double backoffFactor, long growthInterval,
                        double minScale, boolean dropOverflow) {
    /** {@code GradScaler}'s defaults. */
    public static final double DEFAULT_INIT_SCALE = 65536.0;
    public static final double DEFAULT_GROWTH_FACTOR = 2.0;
    public static final double DEFAULT_BACKOFF_FACTOR = 0.5;
    public static final long DEFAULT_GROWTH_INTERVAL = 2000;
    /** {@code DynamicLossScaleManager}'s defaults. */
    public static final double MINDSPORE_INIT_SCALE = 16777216.0;
    public static final double MINDSPORE_SCALE_FACTOR = 2.0;
    public static final long MINDSPORE_SCALE_WINDOW = 2000;
    /** {@code FixedLossScaleManager}'s defaults. */
    public static final double DEFAULT_FIXED_SCALE = 128.0;
    public static final boolean DEFAULT_DROP_OVERFLOW_UPDATE = true;

    private static final LossScale NONE = new LossScale(1, 1, 1, 1, 0, false);

    public LossScale {
        Checks c = new Checks("optimizer.lossScale");
        if (c.positive("initScale", initScale) && c.finite("initScale", initScale)) {
            c.float32("initScale", initScale, false);
        }
        c.require(growthFactor >= 1 && growthFactor < Double.POSITIVE_INFINITY, "growthFactor",
                "must be at least 1 and finite, got " + growthFactor);
        c.require(backoffFactor > 0 && backoffFactor <= 1, "backoffFactor", "must be in (0, 1], got " + backoffFactor);
        c.require(growthInterval >= 1, "growthInterval", "must be at least 1, got " + growthInterval);
        c.require(minScale >= 0 && minScale <= initScale, "minScale",
                "must be in [0, initScale = " + initScale + "], got " + minScale);
        c.throwIfAny();
    }

    /** No loss scaling. */
    public static LossScale none() {
        return NONE;
    }

    /** A scale that never changes; {@code dropOverflowUpdate} drops a step whose gradients overflow. */
    public static LossScale fixed(double scale, boolean dropOverflowUpdate) {
        return new LossScale(scale, 1, 1, 1, 0, dropOverflowUpdate);
    }

    /** {@code GradScaler()}: 2^16, growth 2, backoff 0.5, every 2000 steps. */
    public static LossScale dynamic() {
        return dynamic(DEFAULT_INIT_SCALE, DEFAULT_GROWTH_FACTOR, DEFAULT_BACKOFF_FACTOR, DEFAULT_GROWTH_INTERVAL);
    }

    /** {@code GradScaler(init_scale, growth_factor, backoff_factor, growth_interval)}. */
    public static LossScale dynamic(double initScale, double growthFactor, double backoffFactor, long growthInterval) {
        if (growthFactor <= 1 || backoffFactor >= 1) {
            // GradScaler asserts both; a scale that cannot move is fixed(...).
            throw new InvalidConfigException("optimizer.lossScale", "growthFactor must be > 1 and backoffFactor < 1, got "
                    + growthFactor + " and " + backoffFactor + "; for a scale that never changes use fixed(...)");
        }
        return new LossScale(initScale, growthFactor, backoffFactor, growthInterval, 0, true);
    }

    /** {@code DynamicLossScaleManager()}: 2^24, factor 2, window 2000. */
    public static LossScale mindSporeDynamic() {
        return mindSporeDynamic(MINDSPORE_INIT_SCALE, MINDSPORE_SCALE_FACTOR, MINDSPORE_SCALE_WINDOW);
    }

    /** {@code DynamicLossScaleManager(init_loss_scale, scale_factor, scale_window)}: backoff {@code 1 / scaleFactor}, never below 1. */
    public static LossScale mindSporeDynamic(double initScale, double scaleFactor, long scaleWindow) {
        Checks c = new Checks("optimizer.lossScale");
        c.require(initScale >= 1, "initScale", "must be at least 1 (MindSpore's rule), got " + initScale);
        c.require(scaleFactor > 1 && scaleFactor < Double.POSITIVE_INFINITY, "scaleFactor",
                "must be greater than 1 and finite, got " + scaleFactor);
        c.throwIfAny();
        // The cell multiplies by the float32 reciprocal of the factor.
        return new LossScale(initScale, scaleFactor, (float) (1 / scaleFactor), scaleWindow, 1, true);
    }

    /** Whether the loss is scaled at all. */
    public boolean scales() {
        return !equals(NONE);
    }

    /** The state before the first step. */
    public State start() {
        return new State((float) initScale, 0);
    }

    /** The state after a step: its gradients were finite, or they overflowed. */
    public State after(State s, boolean finite) {
        if (!finite) {
            if (!dropOverflow) {
                return s;
            }
            float backedOff = (float) ((double) s.scale() * backoffFactor);
            return new State(Math.max(backedOff, (float) minScale), 0);
        }
        long good = s.goodSteps() + 1;
        if (good < growthInterval) {
            return new State(s.scale(), good);
        }
        float grown = (float) ((double) s.scale() * growthFactor);
        return new State(Float.isFinite(grown) ? grown : s.scale(), 0);
    }

    /** Reports under {@code c} a saved state no run of this scaling can reach. */
    public void check(State s, Checks c) {
        if (c.positive("lossScale", s.scale()) && c.finite("lossScale", s.scale())) {
            c.require(s.scale() >= (float) minScale, "lossScale", "is " + s.scale() + ", below this scaling's minimum "
                    + minScale);
            c.require(growthFactor != 1 || backoffFactor != 1 || s.scale() == (float) initScale, "lossScale",
                    "is " + s.scale() + ", but this run's scale is fixed at " + (float) initScale);
        }
        c.require(s.goodSteps() >= 0 && s.goodSteps() < growthInterval, "goodSteps",
                "must be in [0, " + growthInterval + ") (the growth interval), got " + s.goodSteps());
    }

    /**
     * Where a scaling stands: the scale the next loss is multiplied by, and the good steps in a
     * row since the scale last changed (PyTorch's {@code _growth_tracker}).
     */
    public record State(float scale, long goodSteps) {
        /** What the gradients are multiplied by: {@code 1 / scale} rounded to float32. */
        public float unscale() {
            return (float) (1.0 / scale);
        }
    }
}
