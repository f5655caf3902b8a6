package dev.anneal.schedule;

import dev.anneal.config.Checks;

/**
 * A length in optimizer steps or in epochs. Epochs become steps only once the steps per epoch
 * are known; until then a schedule that uses them cannot be evaluated ({@link Timeline}).
 */
public record Duration(long amount, Unit unit) {
    /** What a duration counts. */
    public enum Unit { STEPS, EPOCHS }

    public Duration {
        Checks c = new Checks("duration");
        c.require(amount >= 1, unit == Unit.STEPS ? "steps" : "epochs", "must be at least 1, got " + amount);
        c.throwIfAny();
    }

    public static Duration steps(long steps) {
        return new Duration(steps, Unit.STEPS);
    }

    public static Duration epochs(long epochs) {
        return new Duration(epochs, Unit.EPOCHS);
    }

    /**
     * In steps; {@code stepsPerEpoch} is 0 when not known, which epochs refuse, naming
     * {@code path}, as they refuse a count of steps past {@code Long.MAX_VALUE}.
     */
    public long inSteps(long stepsPerEpoch, String path) {
        if (unit == Unit.STEPS) {
            return amount;
        }
        if (stepsPerEpoch <= 0) {
            throw new dev.anneal.config.InvalidConfigException(path, "is " + amount
                    + " epochs, but the steps per epoch are not known; give them (toSchedule(stepsPerEpoch)) or use steps");
        }
        if (amount > Long.MAX_VALUE / stepsPerEpoch) {
            throw new dev.anneal.config.InvalidConfigException(path, "is " + amount + " epochs of " + stepsPerEpoch
                    + " steps, more than " + Long.MAX_VALUE + " steps");
        }
        return amount * stepsPerEpoch;
    }

    @Override
    public String toString() {
        return amount + (unit == Unit.STEPS ? " steps" : " epochs");
    }
}
