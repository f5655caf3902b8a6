package dev.anneal.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A file replaced whole or not at all: written to a hidden sibling, then moved into place, so a
 * reader (or a crash) never sees half of it. Checkpoints, which also force the data to disk, have
 * their own ({@code CheckpointFile}).
 */
public final class AtomicFile {
    private AtomicFile() {
    }

    /** Writes {@code bytes} to {@code file}, making its folder if missing. */
    public static void write(Path file, byte[] bytes) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        // A hidden sibling, not createTempFile's: that one is readable by its owner only.
        Path temporary = parent.resolve("." + file.getFileName() + ".tmp");
        try {
            Files.write(temporary, bytes);
            Files.move(temporary, file.toAbsolutePath(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }
}
