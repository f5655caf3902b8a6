package dev.anneal.terminal;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;

/**
 * One line kept at the bottom of a terminal (a progress bar) while other text scrolls above it.
 * Text written through {@link #passing} streams first erases the line, then, once it ends with a
 * newline, the line is drawn again below it, so nothing is glued onto the line and no stale
 * characters stay. Every write is under one lock: the line and the text never interleave.
 *
 * <p>{@link #ofTerminal()} routes {@code System.out} and {@code System.err} through the JVM's one
 * live line; a stream taken from {@code System.out} before that writes around it
 * ({@link Terminal#out()} follows {@code System.out} instead). On exit, an interrupt included, a
 * line still shown is ended with a newline so that the shell's prompt starts on a line of its own.
 */
public final class LiveLine {
    private static final byte[] ERASE = "\r\033[K".getBytes(StandardCharsets.US_ASCII);
    private static LiveLine installed;

    private final Object lock = new Object();
    private final OutputStream terminal;
    private final Charset charset;
    private String text;
    private boolean shown;
    private boolean atLineStart = true;
    private boolean closed;

    /** A live line drawn on {@code terminal}; text passes through {@link #passing} streams. */
    public LiveLine(OutputStream terminal, Charset charset) {
        this.terminal = terminal;
        this.charset = charset;
    }

    /**
     * The JVM's live line on its standard output; the first call routes {@code System.out} and
     * {@code System.err} through it.
     */
    public static synchronized LiveLine ofTerminal() {
        if (installed == null) {
            Charset charset = Charset.forName(System.getProperty("sun.stdout.encoding", Charset.defaultCharset().name()));
            LiveLine line = new LiveLine(System.out, charset);
            System.setOut(line.passing(System.out));
            System.setErr(line.passing(System.err));
            Runtime.getRuntime().addShutdownHook(new Thread(line::close, "anneal-live-line"));
            installed = line;
        }
        return installed;
    }

    /** A stream that writes to {@code target} around this line. */
    public PrintStream passing(OutputStream target) {
        return new PrintStream(new Passing(target), true, charset);
    }

    /** Shows {@code line} in place of the one shown, at once unless a line of text is half written. */
    public void show(String line) {
        synchronized (lock) {
            if (closed) {
                return;
            }
            text = line;
            if (atLineStart) {
                draw();
            }
        }
    }

    /** Leaves the line on the terminal as it is, ended by a newline; text after it goes below. */
    public void finish() {
        synchronized (lock) {
            if (text != null && !shown && atLineStart && !closed) {
                draw();
            }
            if (shown) {
                write(new byte[] {'\n'});
            }
            text = null;
            shown = false;
        }
    }

    /** Ends a line still shown with a newline and draws nothing more: the JVM is exiting. */
    void close() {
        synchronized (lock) {
            if (shown) {
                write(new byte[] {'\n'});
            }
            closed = true;
            text = null;
            shown = false;
        }
    }

    private void draw() {
        write(("\r" + text + "\033[K").getBytes(charset));
        shown = true;
    }

    private void write(byte[] bytes) {
        try {
            terminal.write(bytes);
            terminal.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes to its target after erasing the line, and draws the line again after a complete line of text. */
    private final class Passing extends OutputStream {
        private final OutputStream target;

        Passing(OutputStream target) {
            this.target = target;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            if (length == 0) {
                return;
            }
            synchronized (lock) {
                if (shown) {
                    LiveLine.this.write(ERASE);
                    shown = false;
                }
                target.write(bytes, offset, length);
                target.flush();
                atLineStart = bytes[offset + length - 1] == '\n';
                if (atLineStart && text != null && !closed) {
                    draw();
                }
            }
        }

        @Override
        public void flush() throws IOException {
            target.flush();
        }
    }
}
