package dev.anneal.state;

import dev.anneal.config.Checks;
import dev.anneal.config.InvalidConfigException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
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

    /**
     * Writes the checkpoint of optimizer step {@code step} into {@link #fileFor}: first removes
     * the temporary files that killed writes of this folder's checkpoints left, then writes
     * atomically, then prunes the older checkpoints beyond {@link #keep()}. Pruning deletes only
     * regular files named for a lower step than this one, never this one, so the newest good
     * checkpoint stays whatever else the folder holds. Returns the file written.
     */
    public Path save(long step, Checkpoint checkpoint) throws IOException {
        removeLeftovers();
        Path file = fileFor(step);
        CheckpointFile.write(file, checkpoint);
        List<Path> older = checkpoints(dir).stream().filter(f -> step(f) < step && regular(f)).toList();
        for (int i = 0; i < older.size() - (keep - 1); i++) {
            Files.deleteIfExists(older.get(i));
        }
        return file;
    }

    private void removeLeftovers() throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        List<Path> leftovers;
        try (Stream<Path> files = Files.list(dir)) {
            leftovers = files.filter(f -> {
                String target = CheckpointFile.temporaryTarget(f.getFileName().toString());
                return target != null && NAME.matcher(target).matches() && regular(f);
            }).toList();
        }
        for (Path f : leftovers) {
            Files.deleteIfExists(f);
        }
    }

    /**
     * What {@link #latest} found.
     *
     * @param file    the newest good checkpoint, if any
     * @param skipped one line for each newer one passed over, saying why
     */
    public record Latest(Optional<Path> file, List<String> skipped) {
        public Latest {
            skipped = List.copyOf(skipped);
        }
    }

    /**
     * The checkpoint of the highest step in {@code dir} that is a regular file and passes
     * {@link CheckpointFile#verify} (its header, its layout, every tensor's CRC-32): where to
     * resume. Newer ones that fail are skipped, each reported in {@link Latest#skipped()}.
     */
    public static Latest latest(Path dir) throws IOException {
        List<Path> all = checkpoints(dir);
        List<String> skipped = new ArrayList<>();
        for (int i = all.size() - 1; i >= 0; i--) {
            Path file = all.get(i);
            try {
                String irregular = CheckpointFile.irregular(
                        Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS));
                if (irregular != null) {
                    skipped.add("skipped " + file + ": it is " + irregular + ", not a checkpoint file");
                    continue;
                }
                CheckpointFile.verify(file);
                return new Latest(Optional.of(file), skipped);
            } catch (InvalidConfigException e) {
                skipped.add("skipped " + file + ": " + e.getMessage());
            } catch (IOException e) {
                skipped.add("skipped " + file + ": cannot be read (" + e + ")");
            }
        }
        return new Latest(Optional.empty(), skipped);
    }

    private static boolean regular(Path file) {
        return Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS);
    }

    /** This directory's checkpoints by name, whatever they are, oldest step first. */
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
