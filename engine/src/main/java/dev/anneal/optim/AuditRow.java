package dev.anneal.optim;

import dev.anneal.config.TextTable;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** One line of an optimizer's audit: a parameter, its group, and the values it is updated with. */
public record AuditRow(String param, String shape, String group, Map<String, Object> values) {
    public AuditRow {
        values = Map.copyOf(values);
    }

    /** Renders rows as an aligned text table with one column per value. */
    static String render(List<AuditRow> rows) {
        List<String[]> lines = new ArrayList<>();
        lines.add(new String[] {"parameter", "shape", "group", "values"});
        for (AuditRow row : rows) {
            String values = row.values.entrySet().stream()
                    .sorted(Map.Entry.comparingByKey())
                    .map(e -> e.getKey() + "=" + e.getValue())
                    .collect(Collectors.joining(" "));
            lines.add(new String[] {row.param, row.shape, row.group, values});
        }
        return TextTable.render(lines);
    }
}
