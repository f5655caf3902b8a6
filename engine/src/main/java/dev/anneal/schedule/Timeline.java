package dev.anneal.schedule;

import dev.anneal.config.Checks;

import java.util.ArrayList;
import java.util.List;

/**
 * Phases one after another, each counting from its own start: {@code warmup(500 steps) then
 * cosine(10 epochs)}. Lengths may be in steps or epochs; a timeline with epochs becomes a
 * {@link Schedule} only with the steps per epoch ({@link #toSchedule(long)}), so units are never
 * mixed by accident. The schedule lasts as long as its phases: a run planned longer fails the
 * budget check before training ({@link Schedules#checkBudget}); evaluated past its end, the last
 * phase holds its final value (as a preview shows). A warmup must be followed by a phase, whose
 * first value it climbs to.
 */
public record Timeline(List<Phase> phases) implements Schedule {
    public Timeline {
        phases = List.copyOf(phases);
        Checks c = new Checks("schedule");
        c.require(!phases.isEmpty(), "phases", "needs at least one phase");
        if (!phases.isEmpty()) {
            c.require(!(phases.get(phases.size() - 1) instanceof Phase.Warmup), "phase[" + (phases.size() - 1) + "]",
                    "is a warmup with nothing after it to warm up to");
        }
        c.throwIfAny();
    }

    /** The phases in order: {@code Timeline.of(warmup(steps(500), 0), cosine(epochs(10), 1e-3, 0))}. */
    public static Timeline of(Phase... phases) {
        return new Timeline(List.of(phases));
    }

    public Timeline then(Phase next) {
        List<Phase> more = new ArrayList<>(phases);
        more.add(next);
        return new Timeline(more);
    }

    /** The phases' lengths added up, in steps. */
    public long steps(long stepsPerEpoch) {
        long total = 0;
        for (int i = 0; i < phases.size(); i++) {
            long steps = phases.get(i).length().inSteps(stepsPerEpoch, "schedule.phase[" + i + "]");
            if (total > Long.MAX_VALUE - steps) {
                throw new dev.anneal.config.InvalidConfigException("schedule.phase[" + i + "]",
                        "makes the timeline longer than " + Long.MAX_VALUE + " steps");
            }
            total += steps;
        }
        return total;
    }

    /** A schedule of a timeline measured in steps only; one with epochs is refused, saying which phase. */
    public Schedule toSchedule() {
        return toSchedule(0);
    }

    /**
     * The value at {@code step} of a timeline measured in steps; one with epochs is refused,
     * saying which phase. Optimizers run {@link #inSteps}'s faster form; this one serves previews.
     */
    @Override
    public double at(long step) {
        return toSchedule().at(step);
    }

    @Override
    public long validSteps() {
        return countsEpochs() ? Long.MAX_VALUE : steps(0);
    }

    @Override
    public boolean countsEpochs() {
        return phases.stream().anyMatch(p -> p.length().unit() == Duration.Unit.EPOCHS);
    }

    @Override
    public Schedule inSteps(long stepsPerEpoch) {
        return toSchedule(stepsPerEpoch);
    }

    /** A schedule, epochs turned into steps at {@code stepsPerEpoch}. */
    public Schedule toSchedule(long stepsPerEpoch) {
        steps(stepsPerEpoch); // refuses epochs without steps per epoch, and overflow
        long[] lengths = new long[phases.size()];
        for (int i = 0; i < phases.size(); i++) {
            lengths[i] = phases.get(i).length().inSteps(stepsPerEpoch, "schedule.phase[" + i + "]");
        }
        List<Schedule> pieces = new ArrayList<>();
        long[] boundaries = new long[phases.size() - 1];
        long start = 0;
        for (int i = 0; i < phases.size(); i++) {
            Phase phase = phases.get(i);
            long n = lengths[i];
            Phase next = i + 1 < phases.size() ? phases.get(i + 1) : null;
            long nextLength = next == null ? 1 : lengths[i + 1];
            double nextStart = next == null ? 0 : next.value(0, nextLength, 0);
            pieces.add(new Schedule() {
                @Override
                public double at(long step) {
                    return phase.value(step - 1, n, nextStart);
                }

                @Override
                public long validSteps() {
                    return n;
                }

                @Override
                public String toString() {
                    return phase.toString();
                }
            });
            if (i < boundaries.length) {
                start += n;
                boundaries[i] = start;
            }
        }
        return Schedules.join(pieces, boundaries);
    }
}
