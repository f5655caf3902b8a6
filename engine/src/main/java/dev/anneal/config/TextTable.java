package dev.anneal.config;

import java.util.List;

/** Rows as aligned text columns, two spaces apart; the last column is left ragged, no line ends in spaces. */
public final class TextTable {
    private TextTable() {
    }

    /** {@code rows}, the first a header, each with the same number of cells, one line each. */
    public static String render(List<String[]> rows) {
        int columns = rows.get(0).length;
        int[] widths = new int[columns - 1];
        for (String[] row : rows) {
            for (int i = 0; i < widths.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < widths.length; i++) {
                line.append(row[i]).append(" ".repeat(widths[i] - row[i].length() + 2));
            }
            out.append(line.append(row[columns - 1]).toString().stripTrailing()).append('\n');
        }
        return out.toString();
    }
}
