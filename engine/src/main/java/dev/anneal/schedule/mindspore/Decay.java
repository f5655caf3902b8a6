package dev.anneal.schedule.mindspore;

import dev.anneal.config.Checks;

/**
 * What MindSpore's decay schedules share, the {@code dynamic_lr} lists and the
 * {@code LearningRateSchedule} classes alike: their formulas, written once, and the argument
 * checks of {@code learning_rate_schedule._check_inputs}. Each caller computes the exponent or
 * fraction its own way (epochs or steps, staircase or not).
 */
final class Decay {
    private Decay() {
    }

    /** {@code exponential_decay_lr}, {@code ExponentialDecayLR}: {@code learningRate * decayRate^p}. */
    static double exponential(double learningRate, double decayRate, double p) {
        return learningRate * Math.pow(decayRate, p);
    }

    /** {@code natural_exp_decay_lr}, {@code NaturalExpDecayLR}: {@code learningRate * e^(-decayRate * p)}. */
    static double naturalExp(double learningRate, double decayRate, double p) {
        return learningRate * Math.pow(Math.E, -decayRate * p);
    }

    /**
     * {@code polynomial_decay_lr}, {@code PolynomialDecayLR}:
     * {@code (learningRate - endLearningRate) * (1 - fraction)^power + endLearningRate}.
     */
    static double polynomial(double learningRate, double endLearningRate, double fraction, double power) {
        return (learningRate - endLearningRate) * Math.pow(1 - fraction, power) + endLearningRate;
    }

    static void check(String path, double learningRate, double decayRate, long decaySteps) {
        Checks c = new Checks(path);
        c.positive("learningRate", learningRate);
        c.positive("decayRate", decayRate);
        c.require(decaySteps >= 1, "decaySteps", "must be a positive integer, got " + decaySteps);
        c.throwIfAny();
    }
}
