package dev.anneal.state;

import dev.anneal.config.Checks;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One object of a checkpoint header, read field by field: each read names the type it wants and
 * reports a missing or mistyped field under its path, then returns null so that reading goes on
 * and every problem of the header is reported together. {@link #noOthers} refuses the fields no
 * one asked for.
 */
final class HeaderFields {
    private static final Pattern INTEGER = Pattern.compile("-?(0|[1-9][0-9]*)");
    /** As {@link Double#toString} writes a double; no hexadecimal, no type suffix, no blanks. */
    private static final Pattern DOUBLE = Pattern.compile("NaN|-?Infinity|-?[0-9]+\\.[0-9]+(E-?[0-9]+)?");

    private final Map<String, Object> fields;
    private final Checks checks;
    private final Set<String> read = new LinkedHashSet<>();

    private HeaderFields(Map<String, Object> fields, Checks checks) {
        this.fields = fields;
        this.checks = checks;
    }

    /** The object {@code value}, reporting under {@code checks}' own path; null if it is not one. */
    @SuppressWarnings("unchecked")
    static HeaderFields of(Object value, Checks checks) {
        if (value instanceof Map<?, ?> map) {
            return new HeaderFields((Map<String, Object>) map, checks);
        }
        checks.fail("", "must be a JSON object, got " + StrictJson.shown(value));
        return null;
    }

    Checks checks() {
        return checks;
    }

    /** Every field, in file order, each counted as read: an object keyed by names of the file's choosing. */
    Map<String, Object> all() {
        read.addAll(fields.keySet());
        return fields;
    }

    private Object field(String name) {
        read.add(name);
        Object value = fields.get(name);
        if (value == null) {
            checks.fail(name, fields.containsKey(name) ? "must not be null" : "is missing");
        }
        return value;
    }

    /** A non-empty string. */
    String string(String name) {
        Object value = field(name);
        return value == null ? null : string(value, checks, name);
    }

    static String string(Object value, Checks checks, String field) {
        if (value instanceof String s && !s.isEmpty()) {
            return s;
        }
        checks.fail(field, "must be a non-empty string, got " + StrictJson.shown(value));
        return null;
    }

    Long integer(String name, long min, long max) {
        Object value = field(name);
        return value == null ? null : integer(value, checks, name, min, max);
    }

    /** A whole number written as one (not {@code 1.5}, {@code 1e3} or {@code "3"}) in {@code [min, max]}. */
    static Long integer(Object value, Checks checks, String field, long min, long max) {
        if (!(value instanceof StrictJson.Num n) || !INTEGER.matcher(n.text()).matches()) {
            checks.fail(field, "must be an integer, got " + StrictJson.shown(value));
            return null;
        }
        long v;
        try {
            v = Long.parseLong(n.text());
        } catch (NumberFormatException e) {
            checks.fail(field, "must be an integer in [" + min + ", " + max + "], got " + StrictJson.shown(n));
            return null;
        }
        if (v < min || v > max) {
            checks.fail(field, (v < min ? "must be at least " + min : "must be at most " + max) + ", got " + v);
            return null;
        }
        return v;
    }

    Double decimal(String name) {
        Object value = field(name);
        return value == null ? null : decimal(value, checks, name);
    }

    /** A double written by {@link Double#toString} into a JSON string (JSON itself has no infinity). */
    static Double decimal(Object value, Checks checks, String field) {
        if (value instanceof String s && DOUBLE.matcher(s).matches()) {
            return Double.parseDouble(s);
        }
        checks.fail(field, "must be a number as a string (\"0.5\", \"Infinity\"), got " + StrictJson.shown(value));
        return null;
    }

    @SuppressWarnings("unchecked")
    List<Object> array(String name) {
        Object value = field(name);
        if (value == null || value instanceof List<?>) {
            return (List<Object>) value;
        }
        checks.fail(name, "must be a JSON array, got " + StrictJson.shown(value));
        return null;
    }

    /** An object that may be missing (null then, and no problem). */
    HeaderFields optionalObject(String name) {
        return fields.containsKey(name) ? object(name) : null;
    }

    HeaderFields object(String name) {
        Object value = field(name);
        return value == null ? null : of(value, checks.at(name));
    }

    /** Refuses the fields that were never read: a header with them is not one this Anneal wrote. */
    void noOthers() {
        Map<String, Object> others = new LinkedHashMap<>(fields);
        others.keySet().removeAll(read);
        others.keySet().forEach(name -> checks.fail(StrictJson.field(name),
                "is not a field here; the fields are " + read));
    }
}
