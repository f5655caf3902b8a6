package dev.anneal.schedule.mindspore;

import dev.anneal.schedule.Exponential;
import dev.anneal.schedule.Schedule;

/**
 * MindSpore's {@code nn.ExponentialDecayLR} (mindspore/python/mindspore/nn/learning_rate_schedule.py):
 * {@code learningRate * decayRate^p} with {@code p = globalStep / decaySteps}, floored when
 * {@code isStair}; {@code globalStep = step - 1}. MindSpore's example: {@code (0.1, 0.9, 4)} at
 * global step 2 is {@code 0.09486833}.
 */
public record ExponentialDecayLR(double learningRate, double decayRate, long decaySteps, boolean isStair)
        implements Schedule {
    public static final boolean DEFAULT_IS_STAIR = false;

    public ExponentialDecayLR {
        Decay.check("schedule.exponentialDecayLR", learningRate, decayRate, decaySteps);
    }

    public ExponentialDecayLR(double learningRate, double decayRate, long decaySteps) {
        this(learningRate, decayRate, decaySteps, DEFAULT_IS_STAIR);
    }

    @Override
    public double at(long step) {
        double p = (double) (step - 1) / decaySteps;
        if (isStair) {
            p = Math.floor(p);
        }
        return Exponential.value(learningRate, decayRate, p);
    }
}
