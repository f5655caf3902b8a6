package dev.anneal.schedule;

import dev.anneal.config.Checks;

/**
 * Linear warmup in front of any schedule (Goyal et al., 2017, "Accurate, Large Minibatch SGD").
 * For steps {@code 1..steps} the value goes linearly from {@code start} toward
 * {@code after.at(1)}; from step {@code steps + 1} on it is {@code after}, counting steps from its
 * own start:
 *
 * <pre>
 * value(step) = start + (after.at(1) - start) * (step - 1) / steps     for step <= steps
 *             = after.at(step - steps)                                  for step >  steps
 * </pre>
 *
 * This is Optax's convention ({@code linear_schedule} joined with {@code join_schedules}, as in
 * {@code warmup_cosine_decay_schedule}): the first step takes {@code start} exactly and the peak
 * {@code after.at(1)} is reached exactly at the boundary, on the first step of {@code after}, so
 * the warmup itself never repeats the peak. With {@code steps == 0} it is {@code after}.
 *
 * <pre>
 * Schedule lr = Warmup.linear(500, 0.0).then(new CosineDecay(...));
 * Schedule same = Schedules.warmup(500, 0.0, new CosineDecay(...));
 * </pre>
 */
public record Warmup(long steps, double start, Schedule after) implements Schedule {
    /** A warmup starts from 0 unless told otherwise, here and in a {@link Phase#warmup} phase. */
    public static final double DEFAULT_START = 0.0;

    public Warmup {
        Checks c = new Checks("schedule.warmup");
        c.require(steps >= 0, "steps", "must be at least 0, got " + steps);
        c.require(Double.isFinite(start), "start", "must be finite, got " + start);
        c.require(after != null, "after", "is required: the schedule the warmup leads into");
        c.throwIfAny();
    }

    /** The first half of {@code Warmup.linear(steps, start).then(schedule)}. */
    public static Linear linear(long steps, double start) {
        return new Linear(steps, start);
    }

    /** A warmup waiting for the schedule it leads into. */
    public record Linear(long steps, double start) {
        public Warmup then(Schedule after) {
            return new Warmup(steps, start, after);
        }
    }

    @Override
    public double at(long step) {
        return step <= steps ? ramp(start, after.at(1), step - 1, steps) : after.at(step - steps);
    }

    /**
     * The rule itself, {@code c} steps into a warmup of {@code steps}: {@code start + (peak - start) * c / steps}.
     * A {@link Phase.Warmup} uses it too.
     */
    static double ramp(double start, double peak, long c, long steps) {
        return start + (peak - start) * c / steps;
    }

    @Override
    public boolean countsEpochs() {
        return after.countsEpochs();
    }

    @Override
    public Schedule inSteps(long stepsPerEpoch) {
        return new Warmup(steps, start, after.inSteps(stepsPerEpoch));
    }

    @Override
    public java.util.List<Schedule> parts() {
        return java.util.List.of(after);
    }

    @Override
    public long validSteps() {
        long rest = after.validSteps();
        return rest > Long.MAX_VALUE - steps ? Long.MAX_VALUE : steps + rest;
    }
}
