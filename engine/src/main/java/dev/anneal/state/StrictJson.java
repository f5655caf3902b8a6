package dev.anneal.state;

import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import dev.anneal.config.Shown;

import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A checkpoint header parsed as strictly as JSON allows: objects become ordered maps, arrays
 * lists, strings strings, and numbers keep their text ({@link Num}) so that a field read as an
 * integer can refuse {@code 1.5} or {@code 1e30} rather than round it. Gson's own tree is lenient
 * (comments, single quotes, NaN) and keeps the last of two equal keys; here a repeated key, a
 * nesting deeper than {@link #MAX_DEPTH} or anything after the value is an error.
 */
final class StrictJson {
    private static final java.util.regex.Pattern IDENTIFIER = java.util.regex.Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,63}");
    /** A header is at most five levels deep; more is not one of ours. */
    static final int MAX_DEPTH = 8;

    /** A number as written. */
    record Num(String text) {
        @Override
        public String toString() {
            return text;
        }
    }

    private StrictJson() {
    }

    /** The value of {@code text}; an {@link IllegalArgumentException} saying where it is not JSON. */
    static Object parse(String text) {
        try (JsonReader reader = new JsonReader(new StringReader(text))) {
            reader.setStrictness(Strictness.STRICT);
            reader.setNestingLimit(MAX_DEPTH);
            Object value = read(reader);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new IllegalArgumentException("text follows the value at " + reader.getPath());
            }
            return value;
        } catch (IOException | IllegalStateException e) {
            // Gson reports malformed JSON as MalformedJsonException (an IOException) or IllegalStateException.
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** How a value read from a file is shown in a message: strings escaped and quoted, long ones cut. */
    static String shown(Object value) {
        if (value instanceof String s) {
            return Shown.quoted(s);
        }
        if (value instanceof Map<?, ?>) {
            return "an object";
        }
        if (value instanceof List<?>) {
            return "an array";
        }
        return Shown.cut(String.valueOf(value));
    }

    /** A key of the file as a path's field: {@code scale} as it is, anything unusual as {@code ["a b"]}. */
    static String field(String key) {
        return IDENTIFIER.matcher(key).matches() ? key : "[" + Shown.quoted(key) + "]";
    }

    /**
     * Gson's complaint as one line without its advice: it suggests lenient parsing and links its
     * troubleshooting page on a second line.
     */
    static String problem(IllegalArgumentException e) {
        String message = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
        return message.replaceAll("Use JsonReader\\.setStrictness\\([^)]*\\) to accept malformed JSON", "malformed JSON");
    }

    private static Object read(JsonReader reader) throws IOException {
        switch (reader.peek()) {
            case BEGIN_OBJECT -> {
                Map<String, Object> object = new LinkedHashMap<>();
                reader.beginObject();
                while (reader.hasNext()) {
                    String name = reader.nextName();
                    if (object.containsKey(name)) {
                        throw new IllegalArgumentException("key " + Shown.quoted(name) + " appears twice at " + reader.getPath());
                    }
                    object.put(name, read(reader));
                }
                reader.endObject();
                return object;
            }
            case BEGIN_ARRAY -> {
                List<Object> array = new ArrayList<>();
                reader.beginArray();
                while (reader.hasNext()) {
                    array.add(read(reader));
                }
                reader.endArray();
                return array;
            }
            case STRING -> {
                return reader.nextString();
            }
            case NUMBER -> {
                return new Num(reader.nextString());
            }
            case BOOLEAN -> {
                return reader.nextBoolean();
            }
            case NULL -> {
                reader.nextNull();
                return null;
            }
            default -> throw new IllegalArgumentException("unexpected " + reader.peek() + " at " + reader.getPath());
        }
    }
}
