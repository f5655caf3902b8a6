package dev.anneal.schedule.mindspore;

import dev.anneal.config.Checks;
import dev.anneal.schedule.Exponential;

/**
 * What MindSpore's decay schedules share, the {@code dynamic_lr} lists and the
 * {@code LearningRateSchedule} classes alike: the natural-exponential decay, written once over
 * {@link Exponential}, and the argument checks of {@code learning_rate_schedule._check_inputs}.
 * Each caller computes the exponent its own way (epochs or steps, staircase or not).
 */
final class Decay {
    private Decay() {
    }

    /** {@code natural_exp_decay_lr}, {@code NaturalExpDecayLR}: {@code learningRate * e^(-decayRate * p)}. */
    static double naturalExp(double learningRate, double decayRate, double p) {
        return Exponential.value(learningRate, Math.E, -decayRate * p);
    }

    static void check(String path, double learningRate, double decayRate, long decaySteps) {
        Checks c = new Checks(path);
        c.positive("learningRate", learningRate);
        c.positive("decayRate", decayRate);
        c.require(decaySteps >= 1, "decaySteps", "must be a positive integer, got " + decaySteps);
        c.throwIfAny();
    }
}
