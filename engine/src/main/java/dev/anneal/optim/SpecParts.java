package dev.anneal.optim;

import dev.anneal.config.InvalidConfigException;
import dev.anneal.grad.LossScale;
import dev.anneal.grad.NoGradient;
import dev.anneal.grad.NonFinite;
import dev.anneal.param.GroupSpec;
import dev.anneal.param.Selector;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * What an {@link OptimizerBuilder} collects besides its own values: the groups, the weight-decay
 * exemptions, the gradient tools, the loss scale and the non-finite policy. Opaque to users; each builder owns one, made when the builder is, and
 * starts the builder from its chain's defaults.
 *
 * @param <G> the type a group's overrides are set on
 */
public final class SpecParts<G extends Settings<G>> {
    private final Settings<?> builder;
    private final Supplier<G> newGroup;
    private final List<GroupSpec<Hyperparams>> groups = new ArrayList<>();
    private final List<Selector> noWeightDecay = new ArrayList<>();
    private List<String> order = List.of();
    /** Gradient tools in front of the optimizer's chain, in the order they run, with their values. */
    private final Map<String, Stage> tools = new LinkedHashMap<>();
    private final Map<Hyperparameter<?>, Object> toolValues = new LinkedHashMap<>();
    private LossScale lossScale = LossScale.none();
    private NonFinite nonFinite = NonFinite.DEFAULT;
    private NoGradient noGradient = NoGradient.DEFAULT;

    SpecParts(Settings<?> builder, Supplier<G> newGroup) {
        this.builder = builder;
        this.newGroup = newGroup;
        builder.setAll(builder.chain().defaults());
    }

    void group(String name, Selector selector, Consumer<? super G> settings) {
        groups.add(new GroupSpec<>(name, selector, overrides(newGroup, settings)));
    }

    static <G extends Settings<G>> Hyperparams overrides(Supplier<G> newGroup, Consumer<? super G> settings) {
        G group = newGroup.get();
        settings.accept(group);
        return group.hyperparams();
    }

    /** Each call adds to the exempt parameters: {@code noWeightDecayOn(bias()).noWeightDecayOn(norm())}. */
    void noWeightDecayOn(Selector selector) {
        Objects.requireNonNull(selector, "selector");
        Chain chain = builder.chain();
        if (!chain.hyperparameters().contains(Hyperparameter.WEIGHT_DECAY)) {
            throw new InvalidConfigException("optimizer.noWeightDecayOn", chain.name() + " has no weight decay to exempt from");
        }
        noWeightDecay.add(selector);
    }

    /** The parameters in the order the optimizer takes them; replaces an order given before. */
    void orderParams(List<String> names) {
        order = List.copyOf(names);
    }

    /**
     * A gradient tool that runs before the optimizer's own stages, with its values; a tool of the
     * same {@code name} given again replaces it.
     */
    void tool(String name, Stage stage, Hyperparams values) {
        tools.put(name, stage);
        toolValues.keySet().removeAll(stage.hyperparameters());
        values.keys().forEach(h -> toolValues.put(h, values.get(h)));
    }

    void lossScale(LossScale lossScale) {
        this.lossScale = Objects.requireNonNull(lossScale, "lossScale");
    }

    void nonFinite(NonFinite nonFinite) {
        this.nonFinite = Objects.requireNonNull(nonFinite, "nonFinite");
    }

    void noGradient(NoGradient noGradient) {
        this.noGradient = Objects.requireNonNull(noGradient, "noGradient");
    }

    OptimizerSpec<G> build() {
        Chain chain = builder.chain();
        Hyperparams defaults = builder.hyperparams();
        if (!tools.isEmpty()) {
            chain = chain.withTools(List.copyOf(tools.values()), new Hyperparams(toolValues));
            defaults = new Hyperparams(toolValues).overriddenBy(defaults);
        }
        return new OptimizerSpec<>(chain, defaults, groups, noWeightDecay, order, newGroup, lossScale, nonFinite,
                noGradient);
    }
}
