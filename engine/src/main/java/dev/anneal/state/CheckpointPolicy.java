package dev.anneal.state;

import dev.anneal.config.Checks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * When a training loop writes checkpoints and how many it keeps: every {@code everyEpochs}
 * epochs or every {@code everySteps} optimizer steps, into {@code dir} as
 * {@code checkpoint-<step>.anneal}, the oldest removed beyond {@code keep}.
 *
 * @param everyEpochs 0 when counting steps
 * @param everySteps  0 when counting epochs
 * @param keep        how many of the newest checkpoints stay on disk
 */
public record CheckpointPolicy(Path dir, int everyEpochs, long everySteps, int keep) {
    private static final Pattern NAME = Pattern.compile("checkpoint-(\\d{1,18})\\.anneal");

    public CheckpointPolicy {
        Checks c = new Checks("checkpoint");
        c.require(dir != null, "dir", "is required");
        c.require(everyEpochs >= 0 && everySteps >= 0 && (everyEpochs > 0) != (everySteps > 0), "every",
                "must be a positive number of epochs or of steps, not both; got " + everyEpochs + " epochs and "
                        + everySteps + " steps");
        c.require(keep >= 1, "keep", "must be at least 1, got " + keep);
        c.throwIfAny();
    }

    /** A checkpoint after every {@code n}-th epoch, all kept. */
    public static CheckpointPolicy everyEpochs(Path dir, int n) {
        return new CheckpointPolicy(dir, n, 0, Integer.MAX_VALUE);
    }

    /** A checkpoint after every {@code n}-th optimizer step, all kept. */
    public static CheckpointPolicy everySteps(Path dir, long n) {
        return new CheckpointPolicy(dir, 0, n, Integer.MAX_VALUE);
    }

    /** The same policy keeping only the newest {@code k} checkpoints. */
    public CheckpointPolicy keep(int k) {
        return new CheckpointPolicy(dir, everyEpochs, everySteps, k);
    }

    /** Whether one is due after epoch {@code epoch} (0-based) has ended. */
    public boolean dueAtEpochEnd(int epoch) {
        return everyEpochs > 0 && (epoch + 1) % everyEpochs == 0;
    }

    /** Whether one is due after optimizer step {@code step}. */
    public boolean dueAtStep(long step) {
        return everySteps > 0 && step % everySteps == 0;
    }

    /** Where the checkpoint taken at {@code step} goes. */
    public Path fileFor(long step) {
        return dir.resolve(String.format("checkpoint-%010d.anneal", step));
    }

    /** Removes all but the newest {@code keep} checkpoints of this directory; other files stay. */
    public void prune() throws IOException {
        List<Path> all = checkpoints(dir);
        for (int i = 0; i < all.size() - keep; i++) {
            Files.deleteIfExists(all.get(i));
        }
    }

    /** The checkpoint of the highest step in {@code dir}, if there is one: where to resume. */
    public static Optional<Path> latest(Path dir) throws IOException {
        List<Path> all = checkpoints(dir);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    /** This directory's checkpoints, oldest step first. */
    private static List<Path> checkpoints(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<Path> found = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.filter(f -> NAME.matcher(f.getFileName().toString()).matches()).forEach(found::add);
        }
        found.sort(Comparator.comparingLong(CheckpointPolicy::step));
        return found;
    }

    private static long step(Path file) {
        Matcher m = NAME.matcher(file.getFileName().toString());
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }
}
