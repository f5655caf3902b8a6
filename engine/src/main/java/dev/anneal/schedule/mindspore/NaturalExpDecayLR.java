package dev.anneal.schedule.mindspore;

import dev.anneal.schedule.Schedule;

/**
 * MindSpore's {@code nn.NaturalExpDecayLR} (mindspore/python/mindspore/nn/learning_rate_schedule.py):
 * {@code learningRate * e^(-decayRate * p)} with {@code p = globalStep}, or with {@code isStair}
 * {@code p = floor(globalStep / decaySteps) * decaySteps}; {@code globalStep = step - 1}.
 * This follows MindSpore's code and its {@code natural_exp_decay_lr}; the class's docstring writes
 * {@code p = globalStep / decaySteps}, which the code does not compute. MindSpore's example:
 * {@code (0.1, 0.9, 4, true)} at global step 2 is {@code 0.1}.
 */
public record NaturalExpDecayLR(double learningRate, double decayRate, long decaySteps, boolean isStair)
        implements Schedule {
    public static final boolean DEFAULT_IS_STAIR = false;

    public NaturalExpDecayLR {
        Decay.check("schedule.naturalExpDecayLR", learningRate, decayRate, decaySteps);
    }

    public NaturalExpDecayLR(double learningRate, double decayRate, long decaySteps) {
        this(learningRate, decayRate, decaySteps, DEFAULT_IS_STAIR);
    }

    @Override
    public double at(long step) {
        long globalStep = step - 1;
        double p = isStair ? (double) (globalStep / decaySteps * decaySteps) : (double) globalStep;
        return Decay.naturalExp(learningRate, decayRate, p);
    }
}
