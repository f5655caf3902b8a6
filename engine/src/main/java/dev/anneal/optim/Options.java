package dev.anneal.optim;

/**
 * Settings of any chain without static types, set by name or by declaration: what a program uses
 * when the optimizer is chosen at run time (from a configuration file, say). Prefer the typed
 * builders of {@code Optimizers} in code.
 */
public final class Options extends Settings<Options> implements OptimizerBuilder<Options.Group, Options> {
    private final SpecParts<Group> parts;

    Options(Chain chain) {
        super(chain);
        this.parts = new SpecParts<>(this, () -> new Group(chain));
    }

    @Override
    public SpecParts<Group> parts() {
        return parts;
    }

    /** A group's overrides, untyped like the optimizer's. */
    public static final class Group extends Settings<Group> {
        Group(Chain chain) {
            super(chain);
        }
    }
}
