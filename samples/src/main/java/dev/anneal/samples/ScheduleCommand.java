package dev.anneal.samples;

import dev.anneal.dsl.ScheduleText;
import dev.anneal.schedule.Preview;
import dev.anneal.schedule.Schedule;
import dev.anneal.schedule.Schedules;
import dev.anneal.schedule.Timeline;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * {@code anneal schedule '<DSL>' --steps N [--steps-per-epoch N] [--csv FILE] [--png FILE]}:
 * a schedule written as the body of the Kotlin DSL's {@code schedule { }}, previewed over a
 * planned run without training.
 */
final class ScheduleCommand {
    static final String USAGE = """
            usage: anneal schedule '<schedule>' --steps N [--steps-per-epoch N] [--csv FILE] [--png FILE]

            Previews a schedule written as in the Kotlin DSL's schedule { ... }, for example
              anneal schedule 'warmup(steps = 100) then cosine(steps = 900, peak = 0.1)' --steps 1000 --png s.png
            Phases: warmup(steps|epochs, from), cosine(steps|epochs, peak, end), linear(from, to, steps|epochs),
            constant(value, steps|epochs). --steps-per-epoch is needed when a phase is measured in epochs.
            """;

    private ScheduleCommand() {
    }

    /** Runs the command; returns the exit status (2 for bad input, with the reason on {@code err}). */
    static int run(String[] args, PrintStream out, PrintStream err) {
        String text = null;
        long steps = 0;
        long stepsPerEpoch = 0;
        Path csv = null;
        Path png = null;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--steps" -> steps = count(args, ++i, "--steps");
                    case "--steps-per-epoch" -> stepsPerEpoch = count(args, ++i, "--steps-per-epoch");
                    case "--csv" -> csv = Path.of(value(args, ++i, "--csv"));
                    case "--png" -> png = Path.of(value(args, ++i, "--png"));
                    case "-h", "--help" -> {
                        out.print(USAGE);
                        return 0;
                    }
                    default -> {
                        if (text != null || args[i].startsWith("--")) {
                            throw new IllegalArgumentException("unexpected argument " + args[i]);
                        }
                        text = args[i];
                    }
                }
            }
            if (text == null || steps < 1) {
                throw new IllegalArgumentException(text == null ? "no schedule given" : "--steps N (at least 1) is required");
            }
            Timeline timeline = ScheduleText.scheduleOf(text);
            Schedule schedule = stepsPerEpoch > 0 ? timeline.toSchedule(stepsPerEpoch) : timeline.toSchedule();
            Schedules.checkBudget("schedule", schedule, steps);
            Preview preview = new Preview(Map.of("value", schedule), steps);
            out.println(describe(timeline, schedule, steps, stepsPerEpoch));
            if (csv != null) {
                preview.writeCsv(csv);
                out.println("wrote " + csv);
            }
            if (png != null) {
                preview.writePng(png);
                out.println("wrote " + png);
            }
            return 0;
        } catch (IllegalArgumentException e) { // InvalidConfigException included
            err.println("anneal schedule: " + e.getMessage());
            err.print(USAGE);
            return 2;
        } catch (IOException e) {
            err.println("anneal schedule: cannot write " + e.getMessage());
            return 2;
        }
    }

    private static long count(String[] args, int i, String flag) {
        String text = value(args, i, flag);
        try {
            long n = Long.parseLong(text);
            if (n < 1) {
                throw new IllegalArgumentException(flag + " must be at least 1, got " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " must be a whole number, got " + text);
        }
    }

    private static String describe(Timeline timeline, Schedule schedule, long steps, long stepsPerEpoch) {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%d phases, %d steps in all, previewed over %d steps:",
                timeline.phases().size(), timeline.steps(stepsPerEpoch), steps));
        for (long step : new long[] {1, Math.max(1, steps / 4), Math.max(1, steps / 2), Math.max(1, 3 * steps / 4), steps}) {
            s.append(String.format(Locale.ROOT, "%n  step %d: %.6g", step, schedule.at(step)));
        }
        return s.toString();
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return args[i];
    }
}
