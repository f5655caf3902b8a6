package dev.anneal.param;

import dev.anneal.config.InvalidConfigException;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;

import java.util.Locale;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Chooses parameters for a group or a rule. Selectors are values (records), so two specs built
 * the same way are equal. Combine with {@link #and}, {@link #or} and {@link #not()}.
 */
public sealed interface Selector {
    boolean matches(Param p);

    default Selector and(Selector other) {
        return new And(this, other);
    }

    default Selector or(Selector other) {
        return new Or(this, other);
    }

    default Selector not() {
        return new Not(this);
    }

    /** Exactly this hierarchical name. */
    static Selector name(String name) {
        return new Name(name);
    }

    /** Names containing the fragment, ignoring case: {@code "conv"} selects {@code 04Conv2d_weight}. */
    static Selector nameContains(String fragment) {
        return new NameContains(fragment);
    }

    /** Shell-style pattern over the whole name: {@code *} any run, {@code ?} one character. */
    static Selector glob(String glob) {
        return new Glob(glob);
    }

    /** Names in which the regular expression finds a match (as {@code re.search} does). */
    static Selector regex(String regex) {
        return new Regex(regex);
    }

    /** Any test; {@code description} names it in audits and errors. */
    static Selector where(String description, Predicate<Param> test) {
        return new Where(description, test);
    }

    /**
     * The parameters of {@code block}, a part of the model (a backbone, a head), found by identity
     * rather than by DJL's numbered names, so the selection survives adding a layer before it.
     */
    static Selector of(Block block) {
        return new Of(block);
    }

    /** Parameters owned by blocks of this class ({@code Conv2d.class}). */
    static Selector layer(Class<? extends Block> blockClass) {
        return new Layer(blockClass.getSimpleName());
    }

    static Selector kind(ParamKind kind) {
        return new Kind(kind);
    }

    static Selector bias() {
        return kind(ParamKind.BIAS);
    }

    /** Scale and shift of normalization layers (gamma and beta). */
    static Selector norm() {
        return kind(ParamKind.NORM);
    }

    /** Tensors with at most one dimension: biases, norm scales and shifts, scalars. */
    static Selector oneDimensional() {
        return kind(ParamKind.ONE_DIMENSIONAL);
    }

    static Selector convWeight() {
        return kind(ParamKind.CONV_WEIGHT);
    }

    record Name(String name) implements Selector {
        public Name {
            Objects.requireNonNull(name, "name");
        }

        @Override
        public boolean matches(Param p) {
            return p.name().equals(name);
        }

        @Override
        public String toString() {
            return "name(\"" + name + "\")";
        }
    }

    record NameContains(String fragment) implements Selector {
        public NameContains {
            Objects.requireNonNull(fragment, "fragment");
        }

        @Override
        public boolean matches(Param p) {
            return p.name().toLowerCase(Locale.ROOT).contains(fragment.toLowerCase(Locale.ROOT));
        }

        @Override
        public String toString() {
            return "nameContains(\"" + fragment + "\")";
        }
    }

    record Glob(String glob) implements Selector {
        public Glob {
            Objects.requireNonNull(glob, "glob");
        }

        @Override
        public boolean matches(Param p) {
            return toRegex().matcher(p.name()).matches();
        }

        private Pattern toRegex() {
            StringBuilder regex = new StringBuilder();
            for (char c : glob.toCharArray()) {
                switch (c) {
                    case '*' -> regex.append(".*");
                    case '?' -> regex.append('.');
                    default -> regex.append(Pattern.quote(String.valueOf(c)));
                }
            }
            return Pattern.compile(regex.toString());
        }

        @Override
        public String toString() {
            return "glob(\"" + glob + "\")";
        }
    }

    record Regex(String regex) implements Selector {
        public Regex {
            try {
                Pattern.compile(regex); // a bad pattern fails here, where the user wrote it
            } catch (PatternSyntaxException e) {
                throw new InvalidConfigException("selector.regex", "is not a valid regular expression: "
                        + e.getDescription() + " near index " + e.getIndex() + " of \"" + regex + "\"");
            }
        }

        @Override
        public boolean matches(Param p) {
            return Pattern.compile(regex).matcher(p.name()).find();
        }

        @Override
        public String toString() {
            return "regex(\"" + regex + "\")";
        }
    }

    record Where(String description, Predicate<Param> test) implements Selector {
        public Where {
            Objects.requireNonNull(description, "description");
            Objects.requireNonNull(test, "test");
        }

        @Override
        public boolean matches(Param p) {
            return test.test(p);
        }

        @Override
        public String toString() {
            return description;
        }
    }

    record Of(Block block) implements Selector {
        public Of {
            Objects.requireNonNull(block, "block");
        }

        @Override
        public boolean matches(Param p) {
            for (Pair<String, Parameter> own : block.getParameters()) {
                if (own.getValue().isInitialized() && own.getValue().getArray() == p.array()) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public String toString() {
            return "of(" + block.getClass().getSimpleName() + "@" + Integer.toHexString(System.identityHashCode(block)) + ")";
        }
    }

    record Layer(String blockClass) implements Selector {
        @Override
        public boolean matches(Param p) {
            return p.layer().equals(blockClass);
        }

        @Override
        public String toString() {
            return "layer(" + blockClass + ")";
        }
    }

    record Kind(ParamKind kind) implements Selector {
        public Kind {
            Objects.requireNonNull(kind, "kind");
        }

        @Override
        public boolean matches(Param p) {
            return kind.test(p);
        }

        @Override
        public String toString() {
            return kind.name().toLowerCase(Locale.ROOT);
        }
    }

    record And(Selector left, Selector right) implements Selector {
        @Override
        public boolean matches(Param p) {
            return left.matches(p) && right.matches(p);
        }

        @Override
        public String toString() {
            return "(" + left + " and " + right + ")";
        }
    }

    record Or(Selector left, Selector right) implements Selector {
        @Override
        public boolean matches(Param p) {
            return left.matches(p) || right.matches(p);
        }

        @Override
        public String toString() {
            return "(" + left + " or " + right + ")";
        }
    }

    record Not(Selector inner) implements Selector {
        @Override
        public boolean matches(Param p) {
            return !inner.matches(p);
        }

        @Override
        public String toString() {
            return "not " + inner;
        }
    }
}
