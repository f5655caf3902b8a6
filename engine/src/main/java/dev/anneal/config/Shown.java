package dev.anneal.config;

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

    /** {@code "value"}, or its first characters and its length when long: {@code "99999..." (120000 characters)}. */
    public static String quoted(String value) {
        return value.length() <= MOST ? "\"" + escaped(value) + "\""
                : "\"" + escaped(value.substring(0, MOST)) + "...\" (" + value.length() + " characters)";
    }

    /** {@code text}, cut after its first characters when long: for a word inside a message's own quotes. */
    public static String cut(String text) {
        return escaped(text.length() <= MOST ? text : text.substring(0, MOST) + "...");
    }

    /**
     * Control characters, line separators and lone surrogates written as escapes ({@code \n},
     * {@code \u0000}), so that the text stays on one line and cannot forge another line of a log;
     * quotes and backslashes escaped, so that a quoted value ends where it seems to.
     */
    public static String escaped(String text) {
        StringBuilder s = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\n' -> s.append("\\n");
                case '\r' -> s.append("\\r");
                case '\t' -> s.append("\\t");
                case '"', '\\' -> s.append('\\').append(c);
                default -> {
                    if (Character.isISOControl(c) || Character.isSurrogate(c) || c == '\u2028' || c == '\u2029') {
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
