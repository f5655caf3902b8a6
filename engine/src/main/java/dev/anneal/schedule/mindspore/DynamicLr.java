package dev.anneal.schedule.mindspore;

import dev.anneal.config.Checks;
import dev.anneal.schedule.CosineAnnealing;
import dev.anneal.schedule.Exponential;
import dev.anneal.schedule.Polynomial;

import java.util.Arrays;

/**
 * MindSpore's {@code mindspore.nn.dynamic_lr} (mindspore/python/mindspore/nn/dynamic_lr.py): each
 * function returns the whole list of {@code totalStep} values, element {@code i} for the
 * {@code (i+1)}-th step; wrap it in {@link dev.anneal.schedule.Precomputed} to use it. The decay
 * functions count whole epochs, {@code currentEpoch = floor(i / stepPerEpoch)}, so the value
 * changes only when an epoch begins. Arguments are checked as MindSpore checks them; the path of
 * a bad one is {@code schedule.<function>.<argument>}.
 */
public final class DynamicLr {
    /** MindSpore's default for the three decays that take {@code is_stair}. */
    public static final boolean DEFAULT_IS_STAIR = false;
    public static final boolean DEFAULT_UPDATE_DECAY_EPOCH = false;

    private DynamicLr() {
    }

    /**
     * {@code piecewise_constant_lr}: {@code y[i] = learningRates[t]} for
     * {@code i in [milestones[t-1], milestones[t])} with {@code milestones[-1] = 0}; the list has
     * {@code milestones[N-1]} values. Milestones are positive and never decrease (MindSpore refuses
     * only a decrease, so an equal milestone gives its rate no steps).
     * {@code piecewiseConstantLr([2, 5, 10], [0.1, 0.05, 0.01])} is
     * {@code [0.1, 0.1, 0.05, 0.05, 0.05, 0.01, 0.01, 0.01, 0.01, 0.01]}.
     */
    public static double[] piecewiseConstantLr(int[] milestones, double[] learningRates) {
        Checks c = new Checks("schedule.piecewiseConstantLr");
        c.require(milestones.length > 0, "milestones", "needs at least one milestone");
        c.require(milestones.length == learningRates.length, "learningRates",
                "needs one rate per milestone: " + milestones.length + " milestones, got "
                        + learningRates.length + " rates " + Arrays.toString(learningRates));
        for (int i = 0; i < milestones.length; i++) {
            c.require(milestones[i] > 0, "milestones[" + i + "]", "must be a positive integer, got " + milestones[i]);
            if (i > 0) {
                c.require(milestones[i] >= milestones[i - 1], "milestones[" + i + "]",
                        "must not be less than milestones[" + (i - 1) + "] " + milestones[i - 1] + ", got " + milestones[i]);
            }
        }
        for (int i = 0; i < learningRates.length; i++) {
            c.require(Double.isFinite(learningRates[i]), "learningRates[" + i + "]", "must be finite, got " + learningRates[i]);
        }
        c.throwIfAny();
        double[] lr = new double[milestones[milestones.length - 1]];
        int last = 0;
        for (int t = 0; t < milestones.length; t++) {
            Arrays.fill(lr, last, milestones[t], learningRates[t]);
            last = milestones[t];
        }
        return lr;
    }

    /**
     * {@code exponential_decay_lr}: {@code lr[i] = learningRate * decayRate^(currentEpoch / decayEpoch)},
     * the exponent floored when {@code isStair}. {@code (0.1, 0.9, 6, 2, 1)} gives
     * {@code [0.1, 0.1, 0.09000000000000001, 0.09000000000000001, 0.08100000000000002, 0.08100000000000002]}.
     */
    public static double[] exponentialDecayLr(double learningRate, double decayRate, int totalStep, int stepPerEpoch,
                                              int decayEpoch, boolean isStair) {
        checkDecay("schedule.exponentialDecayLr", learningRate, decayRate, totalStep, stepPerEpoch, decayEpoch);
        double[] lr = new double[totalStep];
        for (int i = 0; i < totalStep; i++) {
            int epoch = i / stepPerEpoch;
            double p = isStair ? Math.floor((double) epoch / decayEpoch) : (double) epoch / decayEpoch;
            lr[i] = Exponential.value(learningRate, decayRate, p);
        }
        return lr;
    }

    public static double[] exponentialDecayLr(double learningRate, double decayRate, int totalStep, int stepPerEpoch,
                                              int decayEpoch) {
        return exponentialDecayLr(learningRate, decayRate, totalStep, stepPerEpoch, decayEpoch, DEFAULT_IS_STAIR);
    }

    /**
     * {@code natural_exp_decay_lr}: {@code lr[i] = learningRate * e^(-decayRate * currentEpoch)}; with
     * {@code isStair} the epoch is rounded down to a multiple of {@code decayEpoch},
     * {@code floor(currentEpoch / decayEpoch) * decayEpoch}. The exponent is not divided by
     * {@code decayEpoch}, which matters only for the staircase. {@code (0.1, 0.9, 6, 2, 2, true)}
     * gives {@code [0.1, 0.1, 0.1, 0.1, 0.016529888822158657, 0.016529888822158657]}.
     */
    public static double[] naturalExpDecayLr(double learningRate, double decayRate, int totalStep, int stepPerEpoch,
                                             int decayEpoch, boolean isStair) {
        checkDecay("schedule.naturalExpDecayLr", learningRate, decayRate, totalStep, stepPerEpoch, decayEpoch);
        double[] lr = new double[totalStep];
        for (int i = 0; i < totalStep; i++) {
            int epoch = i / stepPerEpoch;
            int p = isStair ? epoch / decayEpoch * decayEpoch : epoch;
            lr[i] = Decay.naturalExp(learningRate, decayRate, p);
        }
        return lr;
    }

    public static double[] naturalExpDecayLr(double learningRate, double decayRate, int totalStep, int stepPerEpoch,
                                             int decayEpoch) {
        return naturalExpDecayLr(learningRate, decayRate, totalStep, stepPerEpoch, decayEpoch, DEFAULT_IS_STAIR);
    }

    /**
     * {@code inverse_decay_lr}: {@code lr[i] = learningRate / (1 + decayRate * currentEpoch / decayEpoch)},
     * the quotient {@code currentEpoch / decayEpoch} floored when {@code isStair}.
     * {@code (0.1, 0.5, 6, 1, 1, true)} gives
     * {@code [0.1, 0.06666666666666667, 0.05, 0.04, 0.03333333333333333, 0.028571428571428574]}.
     */
    public static double[] inverseDecayLr(double learningRate, double decayRate, int totalStep, int stepPerEpoch,
                                          int decayEpoch, boolean isStair) {
        checkDecay("schedule.inverseDecayLr", learningRate, decayRate, totalStep, stepPerEpoch, decayEpoch);
        double[] lr = new double[totalStep];
        for (int i = 0; i < totalStep; i++) {
            int epoch = i / stepPerEpoch;
            // Same order of operations as MindSpore, so the lists agree to the last bit.
            lr[i] = isStair
                    ? learningRate / (1 + decayRate * (epoch / decayEpoch))
                    : learningRate / (1 + decayRate * epoch / decayEpoch);
        }
        return lr;
    }

    public static double[] inverseDecayLr(double learningRate, double decayRate, int totalStep, int stepPerEpoch,
                                          int decayEpoch) {
        return inverseDecayLr(learningRate, decayRate, totalStep, stepPerEpoch, decayEpoch, DEFAULT_IS_STAIR);
    }

    /**
     * {@code cosine_decay_lr}: {@code lr[i] = minLr + 0.5 * (maxLr - minLr) * (1 + cos(pi * t / decayEpoch))}
     * with {@code t = min(currentEpoch, decayEpoch)}; needs {@code 0 <= minLr < maxLr}.
     * {@code (0.01, 0.1, 6, 2, 2)} gives {@code [0.1, 0.1, 0.05500000000000001, 0.05500000000000001, 0.01, 0.01]}.
     */
    public static double[] cosineDecayLr(double minLr, double maxLr, int totalStep, int stepPerEpoch, int decayEpoch) {
        Checks c = new Checks("schedule.cosineDecayLr");
        c.nonNegative("minLr", minLr);
        c.positive("maxLr", maxLr);
        c.require(!(minLr >= maxLr), "maxLr", "must be greater than minLr " + minLr + ", got " + maxLr);
        checkCounts(c, totalStep, stepPerEpoch, "decayEpoch", decayEpoch);
        c.throwIfAny();
        double[] lr = new double[totalStep];
        for (int i = 0; i < totalStep; i++) {
            lr[i] = CosineAnnealing.value(maxLr, minLr, Math.min(i / stepPerEpoch, decayEpoch), decayEpoch);
        }
        return lr;
    }

    /**
     * {@code polynomial_decay_lr}:
     * {@code lr[i] = (learningRate - endLearningRate) * (1 - t / d)^power + endLearningRate} with
     * {@code t = min(currentEpoch, decayEpoch)} and {@code d = decayEpoch}; with
     * {@code updateDecayEpoch}, {@code t = currentEpoch} and
     * {@code d = decayEpoch * max(ceil(currentEpoch / decayEpoch), 1)}, so the decay starts over,
     * from a lower height, every {@code decayEpoch} epochs. {@code (0.1, 0.01, 6, 2, 2, 0.5)} gives
     * {@code [0.1, 0.1, 0.07363961030678928, 0.07363961030678928, 0.01, 0.01]}.
     */
    public static double[] polynomialDecayLr(double learningRate, double endLearningRate, int totalStep,
                                             int stepPerEpoch, int decayEpoch, double power,
                                             boolean updateDecayEpoch) {
        Checks c = new Checks("schedule.polynomialDecayLr");
        c.positive("learningRate", learningRate);
        c.nonNegative("endLearningRate", endLearningRate);
        c.positive("power", power);
        checkCounts(c, totalStep, stepPerEpoch, "decayEpoch", decayEpoch);
        c.throwIfAny();
        double[] lr = new double[totalStep];
        for (int i = 0; i < totalStep; i++) {
            int epoch = i / stepPerEpoch;
            int t;
            long d;
            if (updateDecayEpoch) {
                t = epoch;
                d = (long) decayEpoch * Math.max(ceilDiv(epoch, decayEpoch), 1);
            } else {
                t = Math.min(epoch, decayEpoch);
                d = decayEpoch;
            }
            lr[i] = Polynomial.value(learningRate, endLearningRate, (double) t / d, power);
        }
        return lr;
    }

    public static double[] polynomialDecayLr(double learningRate, double endLearningRate, int totalStep,
                                             int stepPerEpoch, int decayEpoch, double power) {
        return polynomialDecayLr(learningRate, endLearningRate, totalStep, stepPerEpoch, decayEpoch, power,
                DEFAULT_UPDATE_DECAY_EPOCH);
    }

    /**
     * {@code warmup_lr}: {@code lr[i] = learningRate * t / warmupEpoch} with
     * {@code t = min(currentEpoch, warmupEpoch)}: it starts at 0 and reaches {@code learningRate}
     * when epoch {@code warmupEpoch} begins. {@code (0.1, 6, 2, 2)} gives
     * {@code [0.0, 0.0, 0.05, 0.05, 0.1, 0.1]}.
     */
    public static double[] warmupLr(double learningRate, int totalStep, int stepPerEpoch, int warmupEpoch) {
        Checks c = new Checks("schedule.warmupLr");
        c.nonNegative("learningRate", learningRate);
        checkCounts(c, totalStep, stepPerEpoch, "warmupEpoch", warmupEpoch);
        c.throwIfAny();
        double[] lr = new double[totalStep];
        for (int i = 0; i < totalStep; i++) {
            int t = Math.min(i / stepPerEpoch, warmupEpoch);
            lr[i] = learningRate * t / warmupEpoch;
        }
        return lr;
    }

    /** The checks MindSpore's {@code _check_inputs} makes for the three decay functions. */
    private static void checkDecay(String path, double learningRate, double decayRate, int totalStep,
                                   int stepPerEpoch, int decayEpoch) {
        Checks c = new Checks(path);
        c.positive("learningRate", learningRate);
        c.positive("decayRate", decayRate);
        checkCounts(c, totalStep, stepPerEpoch, "decayEpoch", decayEpoch);
        c.throwIfAny();
    }

    private static void checkCounts(Checks c, int totalStep, int stepPerEpoch, String epochName, int epochs) {
        c.require(totalStep >= 1, "totalStep", "must be a positive integer, got " + totalStep);
        c.require(stepPerEpoch >= 1, "stepPerEpoch", "must be a positive integer, got " + stepPerEpoch);
        c.require(epochs >= 1, epochName, "must be a positive integer, got " + epochs);
    }

    private static long ceilDiv(int a, int b) {
        return -Math.floorDiv(-(long) a, (long) b);
    }
}
