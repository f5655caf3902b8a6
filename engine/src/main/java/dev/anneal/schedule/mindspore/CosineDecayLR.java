package dev.anneal.schedule.mindspore;

import dev.anneal.config.Checks;
import dev.anneal.schedule.CosineAnnealing;
import dev.anneal.schedule.Schedule;

/**
 * MindSpore's {@code nn.CosineDecayLR} (mindspore/python/mindspore/nn/learning_rate_schedule.py):
 * {@code minLr + 0.5 * (maxLr - minLr) * (1 + cos(pi * p / decaySteps))} with
 * {@code p = min(globalStep, decaySteps)}, {@code globalStep = step - 1}: it stays at {@code minLr}
 * after {@code decaySteps}. Needs {@code 0 <= minLr < maxLr}. MindSpore's example:
 * {@code (0.01, 0.1, 4)} at global step 2 is {@code 0.055}.
 */
public record CosineDecayLR(double minLr, double maxLr, long decaySteps) implements Schedule {
    public CosineDecayLR {
        Checks c = new Checks("schedule.cosineDecayLR");
        c.nonNegative("minLr", minLr);
        c.positive("maxLr", maxLr);
        c.require(!(minLr >= maxLr), "maxLr", "must be greater than minLr " + minLr + ", got " + maxLr);
        c.require(decaySteps >= 1, "decaySteps", "must be a positive integer, got " + decaySteps);
        c.throwIfAny();
    }

    @Override
    public double at(long step) {
        return CosineAnnealing.value(maxLr, minLr, Math.min(step - 1, decaySteps), decaySteps);
    }
}
