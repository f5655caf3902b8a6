package dev.anneal.codegen;

import dev.anneal.optim.Chain;
import dev.anneal.optim.Hyperparameter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * {@code ./anneal generate [--check]}: writes, from the {@link Chain}s and {@link Hyperparameter}s
 * declared in the engine, the sources that must be code: each optimizer's typed Java settings
 * ({@code AdamOptions}), the Java entry points ({@code Optimizers}) and the Kotlin DSL's optimizer
 * functions and group scopes. A chain is found as a {@code public static final} field of a class
 * in the engine's {@code optim} package; a hyperparameter is named by the field that declares it,
 * in {@code optim} or {@code grad}. With {@code --check} it writes nothing and exits 1 when a
 * committed file differs from what it would write.
 */
public final class Generate {
    static final String OPTIM = "engine/src/main/java/dev/anneal/optim";
    static final String GRAD = "engine/src/main/java/dev/anneal/grad";
    static final String DSL = "dsl/src/main/kotlin/dev/anneal/dsl/Optimizers.kt";

    private final List<Chain> chains = new ArrayList<>();
    /** Each hyperparameter's declaring field, as Java source names it: {@code Adam.BETA1}. */
    private final Map<Hyperparameter<?>, String> fields = new IdentityHashMap<>();
    /** The chain fields: {@code Adam.ADAMW}. */
    private final Map<Chain, String> chainFields = new IdentityHashMap<>();
    private final Map<Hyperparameter<?>, String> imports = new IdentityHashMap<>();

    private Generate(Path root) {
        for (String dir : List.of(OPTIM, GRAD)) {
            String pkg = "dev.anneal." + dir.substring(dir.lastIndexOf('/') + 1);
            for (String type : javaTypes(root.resolve(dir))) {
                scan(pkg, type);
            }
        }
        chains.sort(Comparator.comparing(Chain::typeName));
    }

    public static void main(String[] args) {
        boolean check = List.of(args).contains("--check");
        Path root = Path.of(System.getProperty("anneal.home", "."));
        Map<Path, String> stale = stale(root);
        if (check) {
            stale.keySet().forEach(p -> System.out.println("stale: " + p));
            System.exit(stale.isEmpty() ? 0 : 1);
        }
        stale.forEach((path, text) -> {
            try {
                Files.writeString(root.resolve(path), text, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            System.out.println("wrote " + path);
        });
        System.out.println(stale.isEmpty() ? "generated files are up to date" : "run the build again to compile them");
    }

    /** The generated files whose committed text differs from what this run makes, with the new text. */
    static Map<Path, String> stale(Path root) {
        Map<Path, String> stale = new LinkedHashMap<>();
        new Generate(root).files().forEach((path, text) -> {
            Path file = root.resolve(path);
            try {
                if (!Files.exists(file) || !Files.readString(file, StandardCharsets.UTF_8).equals(text)) {
                    stale.put(path, text);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        return stale;
    }

    /** Every generated file by its path from the repository root. */
    Map<Path, String> files() {
        Map<Path, String> files = new LinkedHashMap<>();
        for (Chain chain : chains) {
            files.put(Path.of(OPTIM, chain.typeName() + "Options.java"), javaOptions(chain));
        }
        files.put(Path.of(OPTIM, "Optimizers.java"), javaEntryPoints());
        files.put(Path.of(DSL), kotlinDsl());
        return files;
    }

    private static List<String> javaTypes(Path dir) {
        try (Stream<Path> list = Files.list(dir)) {
            return list.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".java") && !n.equals("package-info.java"))
                    .map(n -> n.substring(0, n.length() - ".java".length()))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void scan(String pkg, String type) {
        Class<?> c;
        try {
            c = Class.forName(pkg + "." + type);
        } catch (ClassNotFoundException e) {
            return; // a source not compiled yet (a generated file the next build makes)
        }
        for (Field f : c.getDeclaredFields()) {
            int m = f.getModifiers();
            if (!Modifier.isPublic(m) || !Modifier.isStatic(m) || !Modifier.isFinal(m)) {
                continue;
            }
            Object value;
            try {
                value = f.get(null);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
            String name = type + "." + f.getName();
            if (value instanceof Chain chain) {
                chains.add(chain);
                chainFields.put(chain, name);
            } else if (value instanceof Hyperparameter<?> h) {
                fields.put(h, name);
                if (!pkg.equals("dev.anneal.optim")) {
                    imports.put(h, pkg + "." + type);
                }
            }
        }
    }

    private String field(Hyperparameter<?> h) {
        String name = fields.get(h);
        if (name == null) {
            throw new IllegalStateException("hyperparameter " + h + " is not a public static final field in optim or grad");
        }
        return name;
    }

    // ---------------------------------------------------------------------------------------------
    // Java: the typed settings of one chain, and the entry points.

    private String javaOptions(Chain chain) {
        String type = chain.typeName() + "Options";
        TreeSet<String> imported = new TreeSet<>();
        chain.hyperparameters().stream().map(imports::get).filter(i -> i != null).forEach(imported::add);
        if (chain.hyperparameters().stream().anyMatch(h -> !h.isFlag())) {
            imported.add("dev.anneal.schedule.Schedule");
        }
        StringBuilder out = new StringBuilder();
        out.append(header(chainFields.get(chain)));
        out.append("package dev.anneal.optim;\n\n");
        imported.forEach(i -> out.append("import ").append(i).append(";\n"));
        out.append("\n/**\n * ").append(javadoc(chain.summary())).append("\n *\n * <p>The settings of {@link ")
                .append(chainFields.get(chain).replace('.', '#'))
                .append("}: the optimizer's values on its {@link Builder},\n * a group's overrides on its {@link Group}.\n */\n");
        out.append("public abstract class ").append(type).append("<S extends ").append(type)
                .append("<S>> extends Settings<S> {\n");
        out.append("    private ").append(type).append("() {\n        super(").append(chainFields.get(chain))
                .append(");\n    }\n");
        for (Hyperparameter<?> h : chain.hyperparameters()) {
            if (h.isFlag()) {
                setter(out, h, "Boolean");
            } else {
                setter(out, h, "double");
                setter(out, h, "Schedule");
            }
        }
        if (has(chain, "beta1") && has(chain, "beta2")) {
            out.append("\n    /** Both betas, as PyTorch's {@code betas=(beta1, beta2)}. */\n")
                    .append("    public final S betas(double beta1, double beta2) {\n")
                    .append("        return beta1(beta1).beta2(beta2);\n    }\n");
        }
        out.append("""

                    /** A group's overrides; what is not set comes from the optimizer. */
                    public static final class Group extends %1$s<Group> {
                        Group() {
                        }
                    }

                    /** Builds the spec, starting from the optimizer's defaults. */
                    public static final class Builder extends %1$s<Builder> implements OptimizerBuilder<Group, Builder> {
                        private final SpecParts<Group> parts = new SpecParts<>(this, Group::new);

                        Builder() {
                        }

                        @Override
                        public SpecParts<Group> parts() {
                            return parts;
                        }
                    }
                }
                """.formatted(type));
        return out.toString();
    }

    private void setter(StringBuilder out, Hyperparameter<?> h, String type) {
        out.append("\n    /** ").append(javadoc(h.doc())).append(" */\n")
                .append("    public final S ").append(h.name()).append("(").append(type).append(" value) {\n")
                .append("        return set(").append(field(h)).append(", value);\n    }\n");
    }

    private static boolean has(Chain chain, String name) {
        return chain.hyperparameters().stream().anyMatch(h -> h.name().equals(name));
    }

    private String javaEntryPoints() {
        StringBuilder out = new StringBuilder(header(null));
        out.append("""
                package dev.anneal.optim;

                import java.util.List;

                /** Entry points for Java users: one builder per optimizer, with the reference system's defaults. */
                public final class Optimizers {
                    private Optimizers() {
                    }
                """);
        for (Chain chain : chains) {
            out.append("\n    /** ").append(javadoc(chain.summary())).append(" */\n")
                    .append("    public static ").append(chain.typeName()).append("Options.Builder ")
                    .append(function(chain)).append("() {\n")
                    .append("        return new ").append(chain.typeName()).append("Options.Builder();\n    }\n");
        }
        out.append("\n    /** Every optimizer's chain, for tools and tests that go through them all. */\n")
                .append("    public static List<Chain> chains() {\n        return List.of(")
                .append(String.join(", ", chains.stream().map(chainFields::get).toList()))
                .append(");\n    }\n}\n");
        return out.toString();
    }

    // ---------------------------------------------------------------------------------------------
    // Kotlin: one DSL function and one group scope per chain.

    private String kotlinDsl() {
        StringBuilder out = new StringBuilder(header(null));
        out.append("package dev.anneal.dsl\n\n");
        TreeSet<String> imported = new TreeSet<>();
        chains.forEach(c -> imported.add("dev.anneal.optim." + c.typeName() + "Options"));
        imported.add("dev.anneal.optim.Optimizers");
        imported.forEach(i -> out.append("import ").append(i).append('\n'));
        for (Chain chain : chains) {
            String group = chain.typeName() + "Group";
            out.append("\n/** ").append(chain.summary()).append(" */\n");
            out.append("public fun OptimizerScope<").append(group).append(">.").append(function(chain)).append("(\n");
            for (Hyperparameter<?> h : chain.hyperparameters()) {
                Object value = chain.defaults().get(h);
                out.append("    ").append(h.name()).append(": ").append(h.isFlag() ? "Boolean" : "Number");
                if (value != null) {
                    out.append(" = ").append(kotlinDefault(value));
                }
                out.append(",\n");
            }
            out.append(") {\n    val builder = Optimizers.").append(function(chain)).append("()");
            for (Hyperparameter<?> h : chain.hyperparameters()) {
                out.append("\n        .").append(h.name()).append("(").append(h.name())
                        .append(h.isFlag() ? "" : ".toSchedule()").append(")");
            }
            out.append("\n    choose(\"").append(function(chain)).append("\", builder, ::").append(group).append(")\n}\n");
            out.append("\n/**\n * A group's values under ").append(chain.typeName())
                    .append("; what is left unset comes from the optimizer. Each value is a number\n")
                    .append(" * or a schedule, each flag a boolean.\n */\n@AnnealDsl\n");
            out.append("public class ").append(group).append(" internal constructor(private val group: ")
                    .append(chain.typeName()).append("Options.Group) {");
            for (Hyperparameter<?> h : chain.hyperparameters()) {
                out.append("\n    /** ").append(h.doc()).append(" */\n")
                        .append("    public var ").append(h.name()).append(": ").append(h.isFlag() ? "Boolean" : "Number")
                        .append("? = null\n")
                        .append("        set(value) { field = value; group.").append(h.name())
                        .append(h.isFlag() ? "(value)" : "(value?.toSchedule())").append(" }\n");
            }
            out.append("}\n");
        }
        return out.toString();
    }

    private static String kotlinDefault(Object value) {
        if (value instanceof Boolean b) {
            return b.toString();
        }
        double v = dev.anneal.schedule.Schedule.constantValue((dev.anneal.schedule.Schedule) value)
                .orElseThrow(() -> new IllegalStateException("a default must be a constant, got " + value));
        return Double.toString(v);
    }

    // ---------------------------------------------------------------------------------------------

    /** The chain's builder and DSL function name: {@code AdamW} gives {@code adamW}. */
    private static String function(Chain chain) {
        return Character.toLowerCase(chain.typeName().charAt(0)) + chain.typeName().substring(1);
    }

    private static String header(String source) {
        return "// Generated by tools/codegen" + (source == null ? " from the engine's chains" : " from " + source)
                + ": edit the declarations there, then run ./anneal generate.\n";
    }

    /** Markdown code spans as Javadoc's. */
    private static String javadoc(String text) {
        return text.replaceAll("`([^`]*)`", "{@code $1}");
    }
}
