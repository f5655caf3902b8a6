package dev.anneal.optim;

import dev.anneal.config.InvalidConfigException;
import dev.anneal.param.GroupSpec;
import dev.anneal.param.Selector;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * What an {@link OptimizerBuilder} collects besides its own values: the groups and the
 * weight-decay exemptions. Opaque to users; each builder owns one, made when the builder is, and
 * starts the builder from its chain's defaults.
 *
 * @param <G> the type a group's overrides are set on
 */
public final class SpecParts<G extends Settings<G>> {
    private final Settings<?> builder;
    private final Supplier<G> newGroup;
    private final List<GroupSpec<Hyperparams>> groups = new ArrayList<>();
    private final List<Selector> noWeightDecay = new ArrayList<>();

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

    OptimizerSpec<G> build() {
        return new OptimizerSpec<>(builder.chain(), builder.hyperparams(), groups, noWeightDecay, newGroup);
    }
}
