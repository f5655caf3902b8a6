package dev.anneal.optim;

import dev.anneal.param.Selector;

import java.util.function.Consumer;

/**
 * What every optimizer's builder offers besides its hyperparameters: groups, weight-decay
 * exemptions and {@link #build()}. A group is configured on {@code G}, a type with exactly the
 * optimizer's hyperparameters, so a group cannot set one the optimizer does not have.
 *
 * @param <G> the type a group's overrides are set on
 * @param <B> the builder itself
 */
public interface OptimizerBuilder<G extends Settings<G>, B extends OptimizerBuilder<G, B>> {
    /** The groups and exemptions collected so far; opaque outside this package. */
    SpecParts<G> parts();

    /** A group of the parameters {@code selector} picks, with its own values. */
    @SuppressWarnings("unchecked")
    default B group(String name, Selector selector, Consumer<? super G> settings) {
        parts().group(name, selector, settings);
        return (B) this;
    }

    /** A group of the parameters whose names contain {@code name}, ignoring case. */
    default B group(String name, Consumer<? super G> settings) {
        return group(name, Selector.nameContains(name), settings);
    }

    /** No weight decay for these parameters, whatever their group (e.g. bias or norm); calls add up. */
    @SuppressWarnings("unchecked")
    default B noWeightDecayOn(Selector selector) {
        parts().noWeightDecayOn(selector);
        return (B) this;
    }

    /** The validated spec; every problem is reported at once in an {@code InvalidConfigException}. */
    default OptimizerSpec<G> build() {
        return parts().build();
    }
}
