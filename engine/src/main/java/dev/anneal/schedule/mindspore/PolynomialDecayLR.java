package dev.anneal.schedule.mindspore;

import dev.anneal.config.Checks;
import dev.anneal.schedule.Polynomial;
import dev.anneal.schedule.Schedule;

/**
 * MindSpore's {@code nn.PolynomialDecayLR} (mindspore/python/mindspore/nn/learning_rate_schedule.py):
 * {@code (learningRate - endLearningRate) * (1 - p)^power + endLearningRate} with
 * {@code globalStep = step - 1} and
 *
 * <pre>
 * p = min(globalStep, decaySteps) / decaySteps                                  (default)
 * p = globalStep / (decaySteps * max(ceil(globalStep / decaySteps), 1))         (updateDecaySteps)
 * </pre>
 *
 * With {@code updateDecaySteps} the decay starts over every {@code decaySteps} steps, each time
 * over a longer span, so it never settles at the end value. MindSpore's example:
 * {@code (0.1, 0.01, 4, 0.5)} at global step 2 is {@code 0.07363961}.
 */
public record PolynomialDecayLR(double learningRate, double endLearningRate, long decaySteps, double power,
                                boolean updateDecaySteps) implements Schedule {
    public static final boolean DEFAULT_UPDATE_DECAY_STEPS = false;

    public PolynomialDecayLR {
        Checks c = new Checks("schedule.polynomialDecayLR");
        c.positive("learningRate", learningRate);
        c.nonNegative("endLearningRate", endLearningRate);
        c.require(decaySteps >= 1, "decaySteps", "must be a positive integer, got " + decaySteps);
        c.positive("power", power);
        c.throwIfAny();
    }

    public PolynomialDecayLR(double learningRate, double endLearningRate, long decaySteps, double power) {
        this(learningRate, endLearningRate, decaySteps, power, DEFAULT_UPDATE_DECAY_STEPS);
    }

    @Override
    public double at(long step) {
        double globalStep = step - 1;
        double span = decaySteps;
        if (updateDecaySteps) {
            span = span * Math.max(Math.ceil(globalStep / span), 1);
        } else {
            globalStep = Math.min(globalStep, span);
        }
        return Polynomial.value(learningRate, endLearningRate, globalStep / span, power);
    }
}
