package dev.anneal.notebook;

import dev.anneal.config.Shown;
import dev.anneal.optim.AuditRow;
import dev.anneal.optim.Optimizer;
import dev.anneal.plot.LineChart;
import dev.anneal.run.Charts;
import dev.anneal.run.Diagnosis;
import dev.anneal.schedule.Preview;
import dev.anneal.schedule.Schedule;
import dev.anneal.train.TrainingEvent;
import dev.anneal.train.TrainingResult;

import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * HTML for a notebook cell: charts as inline PNG images, tables as tables. It depends on no
 * kernel: a cell shows it with its kernel's HTML display ({@code HTML(Html.schedule(lr, 2000))} in
 * the Kotlin kernel, {@code DISPLAY}/{@code UPDATE_DISPLAY} for a progress line that updates).
 */
public final class Html {
    private Html() {
    }

    /** {@code schedule}'s values over steps 1 to {@code steps}, as the preview's line chart. */
    public static String schedule(String name, Schedule schedule, long steps) {
        Map<String, Schedule> series = new LinkedHashMap<>();
        series.put(name, schedule);
        return image(new Preview(series, steps).png(), name + " over " + steps + " steps");
    }

    /** The charts of a finished run's history (the run folder's), then its diagnosis. */
    public static String result(TrainingResult result) {
        StringBuilder html = new StringBuilder();
        Charts.all(result.history()).forEach((name, chart) -> html.append(image(LineChart.png(chart), name)));
        return html.append("<p>").append(escape(Diagnosis.of(result).text())).append("</p>").toString();
    }

    /** The optimizer's audit: each parameter, its group and the values it is updated with now. */
    public static String audit(Optimizer<?> optimizer) {
        StringBuilder html = new StringBuilder("<table><tr><th>parameter</th><th>shape</th><th>group</th><th>values</th></tr>");
        for (AuditRow row : optimizer.audit()) {
            String values = row.values().entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(" "));
            html.append("<tr>").append(cell(row.param())).append(cell(row.shape())).append(cell(row.group()))
                    .append(cell(values)).append("</tr>");
        }
        return html.append("</table>").toString();
    }

    /** A progress bar for batch {@code b}: an HTML {@code <progress>} with the epoch, count and figures. */
    public static String progress(TrainingEvent.BatchEnd b) {
        boolean known = b.batches() > 0;
        return String.format(Locale.ROOT, "<progress%s></progress> epoch %d/%d, batch %d/%s, loss %s, lr %s",
                known ? " value=\"" + b.batch() + "\" max=\"" + b.batches() + "\"" : "", b.epoch() + 1, b.epochs(),
                b.batch(), known ? Long.toString(b.batches()) : "?", Shown.figure(b.loss()), Shown.figure(b.lr()));
    }

    private static String image(byte[] png, String title) {
        return "<img alt=\"" + escape(title) + "\" src=\"data:image/png;base64," + Base64.getEncoder().encodeToString(png)
                + "\"/>";
    }

    private static String cell(String text) {
        return "<td>" + escape(text) + "</td>";
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
