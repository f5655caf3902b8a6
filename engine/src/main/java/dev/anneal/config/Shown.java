package dev.anneal.config;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Locale;

/**
 * How a message shows a value it was given: quoted, with control characters escaped and a long
 * value cut, so that a message stays one short line however hostile the input (a 120 KB
 * argument, a path with a line break in it).
 */
public final class Shown {
    /** The most characters of a value a message shows. */
    public static final int MOST = 60;

    private Shown() {
    }

    /**
     * {@code "value"}, or its first characters and its length when long:
     * {@code "99999..." (120000 characters)}; quotes and backslashes inside it escaped, so the
     * value ends where it seems to.
     */
    public static String quoted(String value) {
        return value.length() <= MOST ? "\"" + escape(value, true) + "\""
                : "\"" + escape(value.substring(0, MOST), true) + "...\" (" + value.length() + " characters)";
    }

    /**
     * A figure at a glance: four significant digits between 0.001 and 10,000 ({@code 0.4123},
     * {@code 0.01}), two in scientific notation outside ({@code 3.2e-05}), where a fixed number of
     * decimals would print a late cosine's lr as {@code 0.00000}.
     */
    public static String figure(double value) {
        if (value == 0 || !Double.isFinite(value)) {
            return value == 0 ? "0" : Double.toString(value);
        }
        if (Math.abs(value) >= 1e-3 && Math.abs(value) < 1e4) {
            return new BigDecimal(value).round(new MathContext(4)).stripTrailingZeros().toPlainString();
        }
        return String.format(Locale.ROOT, "%.1e", value);
    }

    /** {@code text}, cut after its first characters when long: for a word inside a message's own quotes. */
    public static String cut(String text) {
        return escaped(text.length() <= MOST ? text : text.substring(0, MOST) + "...");
    }

    /**
     * Control characters, line separators and surrogate halves written as escapes ({@code \n},
     * {@code \u0000}), so that the text stays on one line and cannot forge another line of a log.
     */
    public static String escaped(String text) {
        return escape(text, false);
    }

    private static String escape(String text, boolean quotes) {
        StringBuilder s = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\n' -> s.append("\\n");
                case '\r' -> s.append("\\r");
                case '\t' -> s.append("\\t");
                default -> {
                    if (quotes && (c == '"' || c == '\\')) {
                        s.append('\\').append(c);
                    } else if (Character.isISOControl(c) || Character.isSurrogate(c) || c == '\u2028' || c == '\u2029') {
                        s.append(String.format("\\u%04x", (int) c));
                    } else {
                        s.append(c);
                    }
                }
            }
        }
        return s.toString();
    }
}
