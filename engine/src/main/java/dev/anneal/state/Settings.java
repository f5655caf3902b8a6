package dev.anneal.state;

import dev.anneal.config.Shown;
import dev.anneal.config.Violation;
import dev.anneal.optim.Optimizer;
import dev.anneal.schedule.Plateau;
import dev.anneal.schedule.Schedule;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What each group of an optimizer is set to, as a checkpoint records it, so that a resume can
 * tell a spec that changed since (the run resumed with more epochs, a cosine stretched over
 * them): each hyperparameter as {@code <group>.<name>}, a flag or a constant by its value, a
 * schedule by its values at the steps after the checkpoint's ({@link #PROBES} later) and by its
 * last valid step. A schedule under plateau control is recorded only as such: its values depend
 * on the plateau's state, which the checkpoint restores on its own.
 */
public final class Settings {
    /** How many steps after the checkpoint's a schedule is read at. */
    public static final long[] PROBES = {1, 10, 100, 1000, 10_000};

    private Settings() {
    }

    /** The settings of {@code optimizer} whose step counter stands at {@code step}. */
    public static Map<String, String> of(Optimizer<?> optimizer, long step) {
        Map<String, String> settings = new LinkedHashMap<>();
        for (String group : optimizer.groups()) {
            optimizer.hyperparams(group).fields().forEach((name, value) ->
                    settings.put(group + "." + name, describe(value, step)));
        }
        return settings;
    }

    /**
     * How {@code now} differs from the {@code saved} settings of the checkpoint's optimizers, one
     * problem per setting, each naming it with its value then and now; optimizers the checkpoint
     * recorded no settings for (written before they were recorded) are not compared.
     */
    public static List<Violation> changes(Map<String, Map<String, String>> saved, Map<String, Optimizer<?>> now,
                                          Map<String, Long> steps) {
        List<Violation> changes = new ArrayList<>();
        saved.forEach((name, was) -> {
            Optimizer<?> optimizer = now.get(name);
            if (optimizer == null || was.isEmpty()) {
                return;
            }
            Map<String, String> is = of(optimizer, steps.getOrDefault(name, 0L));
            Set<String> keys = new LinkedHashSet<>(was.keySet());
            keys.addAll(is.keySet());
            for (String key : keys) {
                String then = was.getOrDefault(key, "(not set)");
                String current = is.getOrDefault(key, "(not set)");
                if (!then.equals(current)) {
                    changes.add(new Violation("checkpoint.settings[" + Shown.quoted(name) + "][" + Shown.quoted(key) + "]",
                            difference(then, current)));
                }
            }
        });
        return changes;
    }

    /**
     * What changed, in words: for two schedules read at the same steps, the first step where they
     * differ and their last steps when those differ; otherwise both values.
     */
    private static String difference(String then, String now) {
        String[] was = then.split(", ");
        String[] is = now.split(", ");
        if (was.length != PROBES.length + 1 || is.length != PROBES.length + 1) {
            return "was " + Shown.cut(then) + " when the checkpoint was written, is " + Shown.cut(now) + " now";
        }
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < PROBES.length; i++) {
            if (!was[i].equals(is[i])) {
                String step = was[i].substring(was[i].indexOf(" at ") + 4);
                parts.add("at step " + step + " it was " + was[i].substring(0, was[i].indexOf(" at ")) + " when the"
                        + " checkpoint was written and is " + is[i].substring(0, is[i].indexOf(" at ")) + " now");
                break;
            }
        }
        if (!was[PROBES.length].equals(is[PROBES.length])) {
            parts.add("it had " + was[PROBES.length] + " and has " + is[PROBES.length] + " now");
        }
        return String.join("; ", parts);
    }

    private static String describe(Object value, long step) {
        if (!(value instanceof Schedule schedule)) {
            return String.valueOf(value);
        }
        if (underPlateau(schedule)) {
            return "under plateau control";
        }
        StringBuilder s = new StringBuilder();
        for (long later : PROBES) {
            s.append(schedule.at(step + later)).append(" at ").append(step + later).append(", ");
        }
        long last = schedule.validSteps();
        return s.append(last == Long.MAX_VALUE ? "no last step" : "last step " + last).toString();
    }

    private static boolean underPlateau(Schedule schedule) {
        if (schedule instanceof Plateau) {
            return true;
        }
        for (Schedule part : schedule.parts()) {
            if (underPlateau(part)) {
                return true;
            }
        }
        return false;
    }
}
