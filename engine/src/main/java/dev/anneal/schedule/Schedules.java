package dev.anneal.schedule;

import dev.anneal.config.Checks;

import java.util.Arrays;
import java.util.List;

/** Composition of schedules, and the check that a schedule lasts the planned run. */
public final class Schedules {
    private Schedules() {
    }

    /**
     * Pieces one after another: piece {@code i} takes over after {@code boundaries[i-1]} steps and
     * counts steps from its own start (as Optax's {@code join_schedules} and PyTorch's
     * {@code SequentialLR} with milestones). Boundaries are strictly increasing and positive.
     */
    public static Schedule join(List<Schedule> pieces, long... boundaries) {
        return new Join(List.copyOf(pieces), boundaries.clone());
    }

    /**
     * Linear warmup from {@code start} for {@code steps} steps, then {@code then} counting from its
     * own start; the peak {@code then.at(1)} is reached on the first step after the warmup
     * (Optax's convention, see {@link Warmup}).
     */
    public static Warmup warmup(long steps, double start, Schedule then) {
        return new Warmup(steps, start, then);
    }

    /** A warmup from {@link Warmup#DEFAULT_START} for {@code steps} steps, to be followed: {@code warmup(500).then(cosine)}. */
    public static Warmup.Linear warmup(long steps) {
        return Warmup.linear(steps, Warmup.DEFAULT_START);
    }

    /**
     * Refuses a schedule that ends before the planned run does, saying both numbers: a one-cycle
     * schedule past its total, a precomputed list too short.
     */
    public static void checkBudget(String path, Schedule schedule, long plannedSteps) {
        Checks checks = new Checks(path);
        checkBudget(checks, "", schedule, plannedSteps);
        checks.throwIfAny();
    }

    /** The same check, reported into {@code checks} under {@code field} with the others of a spec. */
    public static void checkBudget(Checks checks, String field, Schedule schedule, long plannedSteps) {
        long valid = schedule.validSteps();
        checks.require(valid >= plannedSteps, field,
                "lasts " + valid + " steps, but the run is planned for " + plannedSteps);
    }

    /** Pieces in sequence, each counting from its own start. */
    record Join(List<Schedule> pieces, long[] boundaries) implements Schedule {
        public Join {
            Checks checks = new Checks("schedule.join");
            checks.require(!pieces.isEmpty(), "pieces", "needs at least one schedule");
            checks.require(boundaries.length == pieces.size() - 1, "boundaries",
                    "needs one boundary between each two pieces: " + pieces.size() + " pieces, got "
                            + boundaries.length + " boundaries " + Arrays.toString(boundaries));
            for (int i = 0; i < boundaries.length; i++) {
                long previous = i == 0 ? 0 : boundaries[i - 1];
                checks.require(boundaries[i] > previous, "boundaries[" + i + "]",
                        "must be greater than " + previous + " (boundaries strictly increase), got " + boundaries[i]);
            }
            checks.throwIfAny();
        }

        @Override
        public double at(long step) {
            long count = step - 1;
            int piece = 0;
            while (piece < boundaries.length && boundaries[piece] <= count) {
                piece++;
            }
            long start = piece == 0 ? 0 : boundaries[piece - 1];
            return pieces.get(piece).at(count - start + 1);
        }

        @Override
        public boolean countsEpochs() {
            return pieces.stream().anyMatch(Schedule::countsEpochs);
        }

        @Override
        public Schedule inSteps(long stepsPerEpoch) {
            return new Join(pieces.stream().map(p -> p.inSteps(stepsPerEpoch)).toList(), boundaries);
        }

        @Override
        public List<Schedule> parts() {
            return pieces;
        }

        /** The pieces and where they start: what a run folder's configuration shows. */
        @Override
        public String toString() {
            return pieces.size() == 1 ? pieces.get(0).toString()
                    : "Join[pieces=" + pieces + ", boundaries=" + Arrays.toString(boundaries) + "]";
        }

        @Override
        public long validSteps() {
            long start = boundaries.length == 0 ? 0 : boundaries[boundaries.length - 1];
            long last = pieces.get(pieces.size() - 1).validSteps();
            long valid = last == Long.MAX_VALUE ? Long.MAX_VALUE : start + last;
            for (int i = 0; i < boundaries.length; i++) {
                long pieceStart = i == 0 ? 0 : boundaries[i - 1];
                if (pieces.get(i).validSteps() < boundaries[i] - pieceStart) {
                    valid = Math.min(valid, pieceStart + pieces.get(i).validSteps());
                }
            }
            return valid;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Join other && pieces.equals(other.pieces) && Arrays.equals(boundaries, other.boundaries);
        }

        @Override
        public int hashCode() {
            return 31 * pieces.hashCode() + Arrays.hashCode(boundaries);
        }
    }
}
