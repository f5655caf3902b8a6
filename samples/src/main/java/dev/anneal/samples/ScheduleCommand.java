package dev.anneal.samples;

import dev.anneal.config.InvalidConfigException;
import dev.anneal.dsl.ScheduleText;
import dev.anneal.samples.CommandLine.Option;
import dev.anneal.schedule.Preview;
import dev.anneal.schedule.Schedule;
import dev.anneal.schedule.Schedules;
import dev.anneal.schedule.Timeline;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code anneal schedule '<DSL>' --steps N [--steps-per-epoch N] [--csv FILE [--every N]] [--png FILE]}:
 * a schedule written as the body of the Kotlin DSL's {@code schedule { }}, previewed over a
 * planned run without training.
 */
final class ScheduleCommand {
    static final List<Option> OPTIONS = List.of(
            new Option("--steps", "N", "the steps to preview, 1 to " + Long.MAX_VALUE + " (required)"),
            new Option("--steps-per-epoch", "N", "needed when a phase is measured in epochs"),
            new Option("--csv", "FILE", "write step,value rows: every step, at most " + Preview.MAX_CSV_ROWS + " rows"),
            new Option("--every", "N", "with --csv, a row every N steps (and the last): for more than "
                    + Preview.MAX_CSV_ROWS + " steps"),
            new Option("--png", "FILE", "plot the curve"));

    static final String USAGE = """
            usage: anneal schedule '<schedule>' --steps N [--steps-per-epoch N] [--csv FILE [--every N]] [--png FILE]

            Previews a schedule written as in the Kotlin DSL's schedule { ... }, for example
              anneal schedule 'warmup(steps = 100) then cosine(steps = 900, peak = 0.1)' --steps 1000 --png s.png
            Phases: warmup(steps|epochs, from), cosine(steps|epochs, peak, end), linear(from, to, steps|epochs),
            constant(value, steps|epochs). The text is at most %d characters, parentheses at most %d deep.
            %s""".formatted(ScheduleText.MAX_SCHEDULE_TEXT_LENGTH, ScheduleText.MAX_SCHEDULE_TEXT_DEPTH,
            CommandLine.describe(OPTIONS));

    private ScheduleCommand() {
    }

    /** Runs the command; returns the exit status (2 for a mistake, with one line saying which on {@code err}). */
    static int run(String[] args, PrintStream out, PrintStream err) {
        return CommandLine.guarded("anneal schedule", err, () -> preview(args, out));
    }

    private static int preview(String[] args, PrintStream out) throws java.io.IOException {
        CommandLine line = CommandLine.parse(args, OPTIONS, "'<schedule>'");
        if (line.help()) {
            out.print(USAGE);
            return 0;
        }
        String text = line.positional(0);
        if (text == null) {
            throw new InvalidConfigException("'<schedule>'", "is required: anneal schedule 'cosine(steps = 100, peak = 0.1)'"
                    + " --steps 100 (see --help)");
        }
        if (!line.has("--steps")) {
            throw new InvalidConfigException("--steps", "is required: the steps to preview, 1 to " + Long.MAX_VALUE);
        }
        long steps = line.whole("--steps", 0, 1, Long.MAX_VALUE);
        long stepsPerEpoch = line.whole("--steps-per-epoch", 0, 1, Long.MAX_VALUE);
        Path csv = line.writableFile("--csv");
        Path png = line.writableFile("--png");
        if (line.has("--every") && csv == null) {
            throw new InvalidConfigException("--every", "sets the rows of --csv; give --csv FILE too");
        }
        long every = line.whole("--every", 1, 1, Long.MAX_VALUE);
        long rows = Preview.csvRows(steps, every);
        if (csv != null && rows > Preview.MAX_CSV_ROWS) {
            throw new InvalidConfigException("--csv", "would write " + rows + " rows, more than " + Preview.MAX_CSV_ROWS
                    + ": add --every N with N at least " + Preview.csvEvery(steps));
        }
        Timeline timeline = ScheduleText.scheduleOf(text);
        Schedule schedule = stepsPerEpoch > 0 ? timeline.toSchedule(stepsPerEpoch) : timeline.toSchedule();
        Schedules.checkBudget("schedule", schedule, steps);
        Preview preview = new Preview(Map.of("value", schedule), steps);
        out.println(describe(timeline, preview, steps, stepsPerEpoch));
        if (csv != null) {
            preview.writeCsv(csv, every);
            out.println("wrote " + csv);
        }
        if (png != null) {
            preview.writePng(png);
            out.println("wrote " + png);
        }
        return 0;
    }

    private static String describe(Timeline timeline, Preview preview, long steps, long stepsPerEpoch) {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%d phases, %d steps in all, previewed over %d steps:",
                timeline.phases().size(), timeline.steps(stepsPerEpoch), steps));
        for (long step : new long[] {1, Math.max(1, steps / 4), Math.max(1, steps / 2), Math.max(1, steps / 4 * 3 + steps % 4 * 3 / 4), steps}) {
            s.append(String.format(Locale.ROOT, "%n  step %d: %.6g", step, preview.values(step).get("value")));
        }
        return s.toString();
    }
}
