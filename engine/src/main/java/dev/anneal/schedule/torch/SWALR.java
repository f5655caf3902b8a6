package dev.anneal.schedule.torch;

import dev.anneal.config.Checks;
import dev.anneal.config.InvalidConfigException;
import dev.anneal.config.Shown;
import dev.anneal.schedule.Plateau;
import dev.anneal.schedule.Schedule;

import java.util.Arrays;
import java.util.List;

/**
 * PyTorch's {@code torch.optim.swa_utils.SWALR} (Izmailov et al., 2018, "Averaging Weights Leads
 * to Wider Optima and Better Generalization"): the value anneals from {@code base}, the learning
 * rate when SWALR starts, to {@code swaLr} over {@code annealEpochs} scheduler steps, along a
 * cosine or a line, then stays at {@code swaLr}. With {@code t = step - 1} scheduler steps taken
 * and {@code n = annealEpochs}:
 *
 * <pre>
 * alpha(t) = cos:    (1 - cos(pi * min(t / n, 1))) / 2
 *            linear: min(t / n, 1)
 * value(t) = swaLr * alpha(t) + base * (1 - alpha(t))
 * </pre>
 *
 * PyTorch (1.13, {@code swa_utils.py}) does not compute that closed form: each step it recovers
 * the start from the current value, {@code start = (lr - alpha(t - 1) * swaLr) / (1 - alpha(t - 1))}
 * ({@code swaLr} where {@code alpha(t - 1) == 1}), and returns
 * {@code swaLr * alpha(t) + start * (1 - alpha(t))}. The recovered start drifts by a few ulps a
 * step, so the closed form differs from PyTorch in the last bits at most steps of the anneal (up
 * to about 1e-14 relative, measured). This schedule follows the recursion instead, operation for
 * operation in double precision, and so gives PyTorch's values bit for bit, except where Java's
 * {@code Math.cos} and the C library's {@code cos} round {@code cos(pi * t / n)} differently (about
 * 1 argument in 500; such a difference then carries through to the end of the anneal, a few ulps).
 * Both forms give {@code base} exactly at {@code t = 0} and {@code swaLr} exactly from
 * {@code t = n} on.
 *
 * <p>Steps and the start: as for the other PyTorch schedules here, one scheduler step is one
 * optimizer step, so {@code annealEpochs} counts optimizer steps, and step 1 takes the value at
 * {@code t = 0}, {@code base}, as PyTorch does when SWALR drives the optimizer from its
 * construction. PyTorch's SWALR starts from whatever learning rate the optimizer has; a schedule
 * here cannot read it, so {@code base} is given. For PyTorch's usual use, another scheduler first
 * and SWALR from a switch on ({@code SequentialLR}, or stepping SWALR after {@code swa_start} as
 * its documentation does), use {@link #after}: it reads the start from the schedule before, and
 * its first step after the switch takes PyTorch's first annealed value ({@code t = 1}), where a
 * {@link dev.anneal.schedule.Schedules#join} would repeat {@code base} for one step.
 *
 * <p>PyTorch also takes {@code anneal_epochs = 0}, which sets {@code swa_lr} at construction; that
 * is a constant, and is refused here, as are a negative or non-finite {@code swaLr}. A class
 * rather than a record for one reason: the recursion is replayed from a nearby checkpoint, kept
 * every {@value #EVERY} steps, and from the last step asked, so going on costs one step and going
 * back at most {@value #EVERY}, as in {@link MultiplicativeLR}. Equal by its four values.
 */
public final class SWALR implements Schedule {
    public static final long DEFAULT_ANNEAL_EPOCHS = 10;
    /** PyTorch's {@code anneal_strategy = 'cos'}; false is {@code 'linear'}. */
    public static final boolean DEFAULT_COSINE = true;

    private static final String PATH = "schedule.swaLR";
    private static final int EVERY = 4096;

    private final double base;
    private final double swaLr;
    private final long annealEpochs;
    private final boolean cosine;

    /** {@code checkpoints[i]} is the value at {@code t = i * EVERY}. */
    private double[] checkpoints;
    private long lastT;
    private double lastValue;

    /**
     * From {@code base} to {@code swaLr} over {@code annealEpochs} steps, along a cosine
     * ({@code cosine}, PyTorch's {@code 'cos'}) or a line ({@code 'linear'}).
     */
    public SWALR(double base, double swaLr, long annealEpochs, boolean cosine) {
        Checks c = new Checks(PATH);
        check(c, base, swaLr, annealEpochs);
        c.throwIfAny();
        this.base = base;
        this.swaLr = swaLr;
        this.annealEpochs = annealEpochs;
        this.cosine = cosine;
        this.checkpoints = new double[] {base};
        this.lastValue = base;
    }

    /** With PyTorch's defaults: {@code DEFAULT_ANNEAL_EPOCHS} steps along a cosine. */
    public SWALR(double base, double swaLr) {
        this(base, swaLr, DEFAULT_ANNEAL_EPOCHS, DEFAULT_COSINE);
    }

    /** With the strategy as PyTorch spells it, {@code "cos"} or {@code "linear"}; any other is refused. */
    public static SWALR of(double base, double swaLr, long annealEpochs, String annealStrategy) {
        Checks c = new Checks(PATH);
        check(c, base, swaLr, annealEpochs);
        c.require("cos".equals(annealStrategy) || "linear".equals(annealStrategy), "annealStrategy",
                "must be \"cos\" or \"linear\" (PyTorch's anneal_strategy), got "
                        + (annealStrategy == null ? "null" : Shown.quoted(annealStrategy)));
        c.throwIfAny();
        return new SWALR(base, swaLr, annealEpochs, "cos".equals(annealStrategy));
    }

    private static void check(Checks c, double base, double swaLr, long annealEpochs) {
        c.nonNegative("base", base);
        c.nonNegative("swaLr", swaLr);
        c.require(annealEpochs >= 1, "annealEpochs", "must be at least 1, got " + annealEpochs
                + (annealEpochs == 0 ? " (PyTorch's 0 sets swa_lr at once: a constant)" : ""));
    }

    /**
     * PyTorch's switch to SWALR: {@code before} for {@code steps} steps, then SWALR from the value
     * {@code before} ended at, {@code before.at(steps)}. The first step after the switch takes
     * PyTorch's first annealed value, as {@code SequentialLR} with milestone {@code steps} and
     * PyTorch's documented loop give it.
     */
    public static After after(Schedule before, long steps, double swaLr, long annealEpochs, boolean cosine) {
        Checks c = new Checks(PATH);
        boolean known = checkBefore(c, before, steps);
        check(c, known ? before.at(steps) : 0, swaLr, annealEpochs); // every problem at once
        c.throwIfAny();
        return new After(before, steps, new SWALR(before.at(steps), swaLr, annealEpochs, cosine));
    }

    /** {@link #after} with PyTorch's defaults for the anneal. */
    public static After after(Schedule before, long steps, double swaLr) {
        return after(before, steps, swaLr, DEFAULT_ANNEAL_EPOCHS, DEFAULT_COSINE);
    }

    private static boolean checkBefore(Checks c, Schedule before, long steps) {
        if (!c.require(before != null, "before", "is required: the schedule SWALR takes over from")
                || !c.require(steps >= 1, "steps", "must be at least 1, got " + steps)) {
            return false;
        }
        return c.require(!before.countsEpochs(), "before",
                        "counts epochs, so the value it ends at is not known yet; give it in steps "
                                + "(toSchedule(stepsPerEpoch)), got " + before)
                && c.require(!hasPlateau(before), "before",
                        "has plateau control, whose value at the switch depends on metrics not seen yet; "
                                + "give SWALR its start instead, got " + before)
                && c.require(before.validSteps() >= steps, "steps",
                        "must be at most " + before.validSteps() + ", the steps that before lasts, got " + steps);
    }

    private static boolean hasPlateau(Schedule schedule) {
        return schedule instanceof Plateau || schedule.parts().stream().anyMatch(SWALR::hasPlateau);
    }

    public double base() {
        return base;
    }

    public double swaLr() {
        return swaLr;
    }

    public long annealEpochs() {
        return annealEpochs;
    }

    public boolean cosine() {
        return cosine;
    }

    @Override
    public synchronized double at(long step) {
        if (step < 1) {
            throw new InvalidConfigException(PATH, "is defined from step 1 on, got step " + step);
        }
        long t = step - 1;
        if (t >= annealEpochs) {
            return swaLr; // PyTorch's value too, exactly: alpha is 1 from t = n on
        }
        if (t < lastT) {
            int checkpoint = (int) Math.min(t / EVERY, checkpoints.length - 1);
            lastT = (long) checkpoint * EVERY;
            lastValue = checkpoints[checkpoint];
        }
        while (lastT < t) {
            lastT++;
            lastValue = next(lastT, lastValue);
            if (lastT % EVERY == 0 && lastT / EVERY == checkpoints.length) {
                checkpoints = Arrays.copyOf(checkpoints, checkpoints.length + 1);
                checkpoints[checkpoints.length - 1] = lastValue;
            }
        }
        return lastValue;
    }

    /** PyTorch's {@code SWALR.get_lr} at scheduler step {@code t >= 1}, from the value {@code lr} at {@code t - 1}. */
    private double next(long t, double lr) {
        double prevAlpha = alpha(Math.max(0, Math.min(1, (double) (t - 1) / annealEpochs)));
        double start = prevAlpha == 1 ? swaLr : (lr - prevAlpha * swaLr) / (1 - prevAlpha);
        double alpha = alpha(Math.max(0, Math.min(1, (double) t / annealEpochs)));
        return swaLr * alpha + start * (1 - alpha);
    }

    /** PyTorch's {@code _cosine_anneal} or {@code _linear_anneal}. */
    private double alpha(double fraction) {
        return cosine ? (1 - Math.cos(Math.PI * fraction)) / 2 : fraction;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SWALR other && Double.compare(base, other.base) == 0
                && Double.compare(swaLr, other.swaLr) == 0 && annealEpochs == other.annealEpochs
                && cosine == other.cosine;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(base, swaLr, annealEpochs, cosine);
    }

    @Override
    public String toString() {
        return "SWALR[base=" + base + ", swaLr=" + swaLr + ", annealEpochs=" + annealEpochs + ", cosine=" + cosine + "]";
    }

    /**
     * {@code before} for {@code steps} steps, then {@code swa} from its second value on
     * ({@code t = 1}): PyTorch's SWALR stepped for the first time at the switch. {@code swa}
     * starts from {@code before.at(steps)}; {@link #after} builds it so.
     */
    public record After(Schedule before, long steps, SWALR swa) implements Schedule {
        public After {
            Checks c = new Checks(PATH);
            boolean beforeOk = checkBefore(c, before, steps);
            if (c.require(swa != null, "swa", "is required") && beforeOk) {
                double end = before.at(steps);
                c.require(Double.compare(swa.base(), end) == 0, "swa.base",
                        "must be " + end + ", the value before ends at (step " + steps + "), as PyTorch's SWALR "
                                + "starts from the learning rate it finds; got " + swa.base());
            }
            c.throwIfAny();
        }

        @Override
        public double at(long step) {
            return step <= steps ? before.at(step) : swa.at(step - steps + 1);
        }

        @Override
        public List<Schedule> parts() {
            return List.of(before, swa);
        }
    }
}
