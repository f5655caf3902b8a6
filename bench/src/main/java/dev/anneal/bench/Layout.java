package dev.anneal.bench;

import ai.djl.ndarray.types.Shape;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code count} tensors of float32 elements each: vectors of {@code columns} elements, or
 * matrices when {@code rows > 1}; named as in the JSON ({@code 10000x100}, {@code 1x1024x1024}).
 */
record Layout(int count, int rows, int columns) {
    static final Layout ONE_BIG = vectors(1, 10_000_000);
    static final Layout MEDIUM = vectors(1_000, 10_000);
    static final Layout MANY_SMALL = vectors(10_000, 100);
    /** The layouts every optimizer's section steps over, by the names of their fields, which another revision's bench has too. */
    static final Map<String, Layout> STEPPED = stepped();

    private static Map<String, Layout> stepped() {
        Map<String, Layout> layouts = new LinkedHashMap<>();
        layouts.put("ONE_BIG", ONE_BIG);
        layouts.put("MEDIUM", MEDIUM);
        layouts.put("MANY_SMALL", MANY_SMALL);
        return Collections.unmodifiableMap(layouts);
    }

    static Layout vectors(int count, int size) {
        return new Layout(count, 1, size);
    }

    static Layout matrices(int count, int rows, int columns) {
        return new Layout(count, rows, columns);
    }

    /** Elements per tensor. */
    int size() {
        return rows * columns;
    }

    Shape shape() {
        return rows == 1 ? new Shape(columns) : new Shape(rows, columns);
    }

    String label() {
        return count + "x" + (rows == 1 ? "" : rows + "x") + columns;
    }
}
