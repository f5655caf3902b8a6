package dev.anneal.schedule.torch;

import dev.anneal.config.Checks;
import dev.anneal.schedule.Schedule;

import java.util.function.DoubleUnaryOperator;

/**
 * PyTorch's {@code CyclicLR} (Smith, 2017, "Cyclical Learning Rates for Training Neural
 * Networks"): the value climbs from {@code baseLr} to {@code maxLr} in {@code stepSizeUp} steps
 * and falls back in {@code stepSizeDown}, the amplitude scaled per cycle or per step:
 *
 * <pre>
 * cycle = floor(1 + t / (up + down));  x = 1 + t / (up + down) - cycle
 * s = x <= up / (up + down) ? x / ratio : (x - 1) / (ratio - 1)
 * value = baseLr + (maxLr - baseLr) * s * scale(cycle or t)
 * </pre>
 *
 * Modes: {@code triangular} (scale 1), {@code triangular2} (halved each cycle), {@code exp_range}
 * ({@code gamma^t}), or a custom scale with its scale mode. {@link #momentum} is the momentum
 * that cycles against it, from {@code maxMomentum} down to {@code baseMomentum}.
 */
public record CyclicLR(double baseLr, double maxLr, long stepSizeUp, long stepSizeDown, Mode mode, double gamma,
                       DoubleUnaryOperator scaleFn, ScaleMode scaleMode) implements Schedule {
    /** PyTorch's built-in amplitude policies. */
    public enum Mode { TRIANGULAR, TRIANGULAR2, EXP_RANGE, CUSTOM }

    /** Whether the scale function reads the cycle number or the step count. */
    public enum ScaleMode { CYCLE, ITERATIONS }

    public static final long DEFAULT_STEP_SIZE_UP = 2000;
    public static final Mode DEFAULT_MODE = Mode.TRIANGULAR;
    public static final double DEFAULT_GAMMA = 1.0;
    /** For a custom scale; a built-in mode has its own ({@link #of}). */
    public static final ScaleMode DEFAULT_SCALE_MODE = ScaleMode.CYCLE;
    public static final double DEFAULT_BASE_MOMENTUM = 0.8;
    public static final double DEFAULT_MAX_MOMENTUM = 0.9;

    public CyclicLR {
        Checks c = new Checks("schedule.cyclicLR");
        c.nonNegative("baseLr", baseLr);
        c.require(maxLr >= baseLr, "maxLr", "must be at least baseLr " + baseLr + ", got " + maxLr);
        c.require(stepSizeUp >= 1, "stepSizeUp", "must be at least 1, got " + stepSizeUp);
        c.require(stepSizeDown >= 1, "stepSizeDown", "must be at least 1, got " + stepSizeDown);
        c.require((mode == Mode.CUSTOM) == (scaleFn != null), "scaleFn",
                "is given exactly when mode is CUSTOM, got mode " + mode);
        c.throwIfAny();
    }

    /** A built-in mode, with PyTorch's scale mode for it. */
    public static CyclicLR of(double baseLr, double maxLr, long stepSizeUp, long stepSizeDown, Mode mode, double gamma) {
        return new CyclicLR(baseLr, maxLr, stepSizeUp, stepSizeDown, mode, gamma, null,
                mode == Mode.EXP_RANGE ? ScaleMode.ITERATIONS : ScaleMode.CYCLE);
    }

    /** With PyTorch's defaults for the rest: {@code DEFAULT_STEP_SIZE_UP} steps up and as many down. */
    public static CyclicLR of(double baseLr, double maxLr) {
        return of(baseLr, maxLr, DEFAULT_STEP_SIZE_UP, DEFAULT_STEP_SIZE_UP, DEFAULT_MODE, DEFAULT_GAMMA);
    }

    /** A custom amplitude scale. */
    public static CyclicLR custom(double baseLr, double maxLr, long stepSizeUp, long stepSizeDown,
                                  DoubleUnaryOperator scaleFn, ScaleMode scaleMode) {
        return new CyclicLR(baseLr, maxLr, stepSizeUp, stepSizeDown, Mode.CUSTOM, 1.0, scaleFn, scaleMode);
    }

    @Override
    public double at(long step) {
        return baseLr + (maxLr - baseLr) * height(step - 1);
    }

    /** The momentum cycling against the value: {@code maxMomentum - (maxMomentum - baseMomentum) * s * scale}. */
    public Schedule momentum(double baseMomentum, double maxMomentum) {
        return step -> maxMomentum - (maxMomentum - baseMomentum) * height(step - 1);
    }

    /** The momentum between PyTorch's defaults, {@code DEFAULT_BASE_MOMENTUM} and {@code DEFAULT_MAX_MOMENTUM}. */
    public Schedule momentum() {
        return momentum(DEFAULT_BASE_MOMENTUM, DEFAULT_MAX_MOMENTUM);
    }

    private double height(long t) {
        double total = (double) (stepSizeUp + stepSizeDown);
        double ratio = stepSizeUp / total;
        double cycle = Math.floor(1 + t / total);
        double x = 1. + t / total - cycle;
        double s = x <= ratio ? x / ratio : (x - 1) / (ratio - 1);
        return s * scale(scaleMode == ScaleMode.CYCLE ? cycle : t);
    }

    private double scale(double x) {
        return switch (mode) {
            case TRIANGULAR -> 1.;
            case TRIANGULAR2 -> 1 / Math.pow(2., x - 1);
            case EXP_RANGE -> Math.pow(gamma, x);
            case CUSTOM -> scaleFn.applyAsDouble(x);
        };
    }
}
