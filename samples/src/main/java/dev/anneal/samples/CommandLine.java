package dev.anneal.samples;

import dev.anneal.config.InvalidConfigException;
import dev.anneal.config.Shown;
import dev.anneal.config.Violation;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The arguments of one command, read strictly against its options, which are declared once: the
 * same declarations give the help text. Every mistake is an {@link InvalidConfigException} whose
 * path is the option, with the value and what is allowed
 * ({@code --epochs must be a whole number from 1 to 2147483647, got "x"}); {@link #line} makes it
 * the one line the command prints.
 */
final class CommandLine {
    /** {@code --name VALUE} (also {@code --name=VALUE}), or a flag when {@code value} is null. */
    record Option(String name, String value, String help) {
        static Option flag(String name, String help) {
            return new Option(name, null, help);
        }
    }

    /** The spelling of the help option, besides {@code -h}. */
    static final String HELP = "--help";
    private static final int LONGEST_LINE = 600;
    private static final int HELP_WIDTH = 100;
    /**
     * The bounds of {@link #positive}: float32's normal range, where the engine computes (it
     * refuses a loss scale outside it), rounded inwards to numbers the message shows exactly
     * (float32's own bounds, printed, lie just outside it as doubles).
     */
    static final double SMALLEST = 1.2e-38;
    static final double LARGEST = 3.4e38;
    /** A number as people write one: decimal, with an optional exponent; not NaN, Infinity, hex or 1d. */
    private static final Pattern DECIMAL = Pattern.compile("[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?");

    private final Map<String, Option> options = new LinkedHashMap<>();
    private final Map<String, String> given = new LinkedHashMap<>();
    private final List<String> positional = new ArrayList<>();
    private final boolean help;

    /**
     * @param positionalNames names of the positional arguments the command takes, in order (none:
     *                        an error for any)
     */
    private CommandLine(List<Option> declared, List<String> positionalNames, String[] args) {
        declared.forEach(o -> options.put(o.name(), o));
        // Help wins wherever it stands, whatever else is wrong.
        help = Arrays.stream(args).anyMatch(a -> a.equals(HELP) || a.equals("-h"));
        for (int i = 0; i < args.length && !help; i++) {
            String arg = args[i];
            if (!arg.startsWith("-") || arg.length() == 1 || isNumber(arg)) {
                if (positional.size() == positionalNames.size()) {
                    throw new InvalidConfigException("argument " + Shown.quoted(arg), positionalNames.isEmpty()
                            ? "is not an option; options start with -- (see --help)"
                            : "is one too many: the command takes " + String.join(" and ", positionalNames));
                }
                positional.add(arg);
                continue;
            }
            int equals = arg.indexOf('=');
            String name = equals < 0 ? arg : arg.substring(0, equals);
            Option option = options.get(name);
            if (option == null) {
                throw new InvalidConfigException(Shown.quoted(name), options.isEmpty() ? "is not an option; the only option is " + HELP
                        : "is not an option; options are " + String.join(", ", options.keySet()) + " and " + HELP);
            }
            String value;
            if (option.value() == null) {
                if (equals >= 0) {
                    throw new InvalidConfigException(name, "is a flag and takes no value, got " + Shown.quoted(arg.substring(equals + 1)));
                }
                value = "";
            } else if (equals >= 0) {
                value = arg.substring(equals + 1);
            } else if (i + 1 < args.length && !options.containsKey(args[i + 1])) {
                value = args[++i];
            } else {
                throw new InvalidConfigException(name, "needs a value: " + name + " " + option.value());
            }
            if (given.put(name, value) != null) {
                throw new InvalidConfigException(name, "is given twice; give it once");
            }
        }
    }

    /** A command's work, which may fail on its input. */
    interface Body {
        int run() throws Exception;
    }

    /**
     * Runs {@code body} and returns its exit status; a mistake in the input is one line on
     * {@code err} and status 2, a file that cannot be read or written one line and status 1. Any
     * other exception is a bug and keeps its stack trace.
     */
    static int guarded(String command, PrintStream err, Body body) {
        try {
            return body.run();
        } catch (InvalidConfigException e) {
            err.println(command + ": " + line(e));
            return 2;
        } catch (IOException | UncheckedIOException e) {
            err.println(command + ": " + line(explain(e)));
            return 1;
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String explain(Exception e) {
        return e instanceof UncheckedIOException u ? u.getMessage() + ": " + reason(u.getCause()) : reason(e);
    }

    /** Reads {@code args} against {@code options}; {@code positional} names the plain arguments taken. */
    static CommandLine parse(String[] args, List<Option> options, String... positional) {
        return new CommandLine(options, List.of(positional), args);
    }

    /** Whether {@code --help} or {@code -h} was given: then nothing else is read. */
    boolean help() {
        return help;
    }

    boolean flag(String name) {
        return has(name);
    }

    boolean has(String name) {
        return given.containsKey(declared(name).name());
    }

    /** The positional argument at {@code index}, or null when not given. */
    String positional(int index) {
        return index < positional.size() ? positional.get(index) : null;
    }

    /** An int in {@code [min, max]}; {@code fallback} when not given. */
    int integer(String name, int fallback, int min, int max) {
        return has(name) ? (int) whole(name, given.get(name), min, max) : fallback;
    }

    /** A long in {@code [min, max]}; {@code fallback} when not given. */
    long whole(String name, long fallback, long min, long max) {
        return has(name) ? whole(name, given.get(name), min, max) : fallback;
    }

    /** A whole number in {@code [min, max]} read from {@code text}, which {@code name} gave. */
    static long whole(String name, String text, long min, long max) {
        String allowed = "must be a whole number from " + min + " to " + max + ", got " + Shown.quoted(text);
        long value;
        try {
            value = Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new InvalidConfigException(name, allowed);
        }
        if (value < min || value > max) {
            throw new InvalidConfigException(name, allowed);
        }
        return value;
    }

    /** The text given for {@code name}, as typed; null when not given. */
    String text(String name) {
        return has(name) ? given.get(name) : null;
    }

    /** A positive number (see {@link #positive(String, String, String)}), or null when not given. */
    Double positive(String name) {
        return has(name) ? positive(name, given.get(name), "") : null;
    }

    /**
     * A positive number read from {@code text}, which {@code name} gave, from {@link #SMALLEST} to
     * {@link #LARGEST}: written in decimals with an optional exponent ({@code 0.5}, {@code 1e-3}),
     * so NaN, infinities and Java's other spellings ({@code 0x1p0}, {@code 1d}) are refused.
     * {@code alternatives} names what the option takes besides a number ({@code "dynamic or "}),
     * for the message.
     */
    static double positive(String name, String text, String alternatives) {
        String allowed = "must be " + alternatives + "a positive number from " + SMALLEST + " to " + LARGEST + ", got "
                + Shown.quoted(text);
        if (!DECIMAL.matcher(text).matches()) {
            throw new InvalidConfigException(name, allowed);
        }
        double value = Double.parseDouble(text);
        if (!(value >= SMALLEST && value <= LARGEST)) {
            throw new InvalidConfigException(name, allowed);
        }
        return value;
    }

    /** A path, or null when not given; an empty or malformed one is refused. */
    Path path(String name) {
        if (!has(name)) {
            return null;
        }
        String text = given.get(name);
        if (text.isEmpty()) {
            throw new InvalidConfigException(name, "must name a file or folder, got \"\"");
        }
        try {
            return Path.of(text);
        } catch (InvalidPathException e) {
            throw new InvalidConfigException(name, "must be a valid path, got " + Shown.quoted(text) + " (" + e.getReason() + ")");
        }
    }

    /**
     * A folder to write into, created if missing, found unwritable before any work is done rather
     * than at the first write; null when not given.
     */
    Path writableFolder(String name) {
        Path dir = path(name);
        if (dir == null) {
            return null;
        }
        String must = "must be a folder Anneal can write to, got " + Shown.quoted(dir.toString());
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new InvalidConfigException(name, must + ", which is a file");
        }
        try {
            Files.createDirectories(dir);
            Files.delete(Files.createTempFile(dir, ".anneal-probe", ".tmp"));
        } catch (IOException | SecurityException e) {
            throw new InvalidConfigException(name, must + ", which cannot be written (" + reason(e) + ")");
        }
        return dir;
    }

    /** A file to write, in a folder that exists; null when not given. */
    Path writableFile(String name) {
        Path file = path(name);
        if (file == null) {
            return null;
        }
        String must = "must be a file in a folder that exists, got " + Shown.quoted(file.toString());
        Path parent = file.toAbsolutePath().getParent();
        if (Files.isDirectory(file)) {
            throw new InvalidConfigException(name, must + ", which is a folder");
        }
        if (parent == null || !Files.isDirectory(parent)) {
            throw new InvalidConfigException(name, must + ": there is no folder " + Shown.quoted(String.valueOf(parent)));
        }
        if (!Files.isWritable(parent) || Files.exists(file) && !Files.isWritable(file)) {
            throw new InvalidConfigException(name, must + ", which cannot be written");
        }
        return file;
    }

    /** The help's option lines: each option and its help, aligned, wrapped at 100 columns. */
    static String describe(List<Option> options) {
        List<Option> all = new ArrayList<>(options);
        all.add(Option.flag(HELP, "this help"));
        List<String> heads = all.stream().map(o -> o.value() == null ? o.name() : o.name() + " " + o.value()).toList();
        int indent = 2 + heads.stream().mapToInt(String::length).max().orElse(0) + 3;
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < all.size(); i++) {
            StringBuilder line = new StringBuilder("  " + heads.get(i));
            for (String word : all.get(i).help().split(" ")) {
                if (line.length() > indent && line.length() + 1 + word.length() > HELP_WIDTH) {
                    s.append(line).append('\n');
                    line = new StringBuilder();
                }
                line.append(" ".repeat(Math.max(1, indent - line.length()))).append(word);
            }
            s.append(line).append('\n');
        }
        return s.toString();
    }

    /**
     * An error as the one line a command prints: every violation, control characters escaped (a
     * path may hold a newline), cut if very long.
     */
    static String line(InvalidConfigException e) {
        return cut(Shown.escaped(e.violations().stream().map(Violation::toString).collect(Collectors.joining("; "))));
    }

    /** Any other message as one line. */
    static String line(String message) {
        return cut(Shown.escaped(String.valueOf(message)));
    }

    private static String cut(String line) {
        return line.length() <= LONGEST_LINE ? line : line.substring(0, LONGEST_LINE) + "...";
    }

    /** Why a file operation failed, in words: a file system exception's message may be only the path. */
    private static String reason(Throwable e) {
        if (e instanceof NoSuchFileException f) {
            return f.getFile() + ": no such file or folder";
        }
        if (e instanceof AccessDeniedException f) {
            return f.getFile() + ": permission denied";
        }
        if (e instanceof FileSystemException f) {
            return f.getFile() + ": " + (f.getReason() != null ? f.getReason() : "cannot be used");
        }
        return e.getMessage() != null ? e.getMessage() : "cannot be read or written";
    }

    private Option declared(String name) {
        Option option = options.get(name);
        if (option == null) {
            throw new IllegalArgumentException("no option " + name + " is declared"); // a bug here, not the user's
        }
        return option;
    }

    private static boolean isNumber(String arg) {
        return arg.length() > 1 && arg.charAt(0) == '-' && Character.isDigit(arg.charAt(1));
    }
}
