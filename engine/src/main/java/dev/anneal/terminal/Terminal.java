package dev.anneal.terminal;

import java.io.BufferedReader;
import java.io.Console;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.util.concurrent.TimeUnit;

/** Whether the program runs on a terminal, how wide it is, and a stream that follows {@code System.out}. */
public final class Terminal {
    /** The width assumed when the terminal does not tell its own. */
    public static final int DEFAULT_COLUMNS = 80;

    private static final PrintStream OUT = new PrintStream(new OutputStream() {
        @Override
        public void write(int b) {
            System.out.write(b);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) {
            System.out.write(bytes, offset, length);
        }

        @Override
        public void flush() {
            System.out.flush();
        }
    }, true, Charset.forName(System.getProperty("sun.stdout.encoding", Charset.defaultCharset().name())));

    private Terminal() {
    }

    /**
     * True when standard input and output are a terminal (not when piped or redirected): what
     * {@link System#console()} tells on Java 17 to 21, and {@code Console.isTerminal()} where it
     * exists (Java 22 on, whose console is there even when redirected).
     */
    public static boolean present() {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
        } catch (NoSuchMethodException e) {
            return true;
        } catch (ReflectiveOperationException e) {
            return false;
        }
    }

    /**
     * The terminal's width: {@code COLUMNS} when set, else what {@code stty size} reads from
     * {@code /dev/tty}, else {@value #DEFAULT_COLUMNS}.
     */
    public static int columns() {
        Integer given = positive(System.getenv("COLUMNS"));
        if (given != null) {
            return given;
        }
        try {
            Process stty = new ProcessBuilder("stty", "size").redirectInput(new File("/dev/tty"))
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(stty.getInputStream(), Charset.defaultCharset()))) {
                String size = reader.readLine();
                if (stty.waitFor(1, TimeUnit.SECONDS) && size != null && size.trim().split("\\s+").length == 2) {
                    Integer columns = positive(size.trim().split("\\s+")[1]);
                    if (columns != null) {
                        return columns;
                    }
                }
            } finally {
                stty.destroy();
            }
        } catch (IOException e) {
            // no stty or no /dev/tty: the default width
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return DEFAULT_COLUMNS;
    }

    /**
     * A stream that writes to whatever {@code System.out} is at each write, so that text printed
     * through it passes around a {@link LiveLine} made after the stream was taken.
     */
    public static PrintStream out() {
        return OUT;
    }

    private static Integer positive(String text) {
        if (text == null) {
            return null;
        }
        try {
            int value = Integer.parseInt(text.trim());
            return value > 0 ? value : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
