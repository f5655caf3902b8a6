package dev.anneal.optim;

import dev.anneal.grad.Centralize;
import dev.anneal.grad.ClipGradNorm;
import dev.anneal.grad.ClipGradValue;
import dev.anneal.grad.Ema;
import dev.anneal.grad.LossScale;
import dev.anneal.grad.NoGradient;
import dev.anneal.grad.NonFinite;
import dev.anneal.grad.Swa;
import dev.anneal.param.Selector;
import dev.anneal.schedule.Schedule;

import java.util.List;
import java.util.Map;
import java.util.Objects;
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

    /**
     * The order this optimizer takes its parameters in, by name, as MindSpore's {@code order_params}
     * group key: it updates them, folds their norms, and lists their state and checkpoint entries
     * in this order rather than group by group. Compiling checks that it names every trainable
     * parameter it manages, once each, and nothing else.
     */
    @SuppressWarnings("unchecked")
    default B orderParams(List<String> names) {
        parts().orderParams(names);
        return (B) this;
    }

    /** {@link #orderParams(List)} with the names given one by one. */
    default B orderParams(String... names) {
        return orderParams(List.of(names));
    }

    /**
     * Clips the gradients of all parameters together to Euclidean norm {@code maxNorm} before the
     * update: {@code torch.nn.utils.clip_grad_norm_(model.parameters(), maxNorm)} before
     * {@code step()}, Keras's {@code global_clipnorm}, Optax's {@code clip_by_global_norm}.
     */
    default B clipGradNorm(double maxNorm) {
        return clipGradNorm(ClipGradNorm.DEFAULT_NORM, Schedule.constant(maxNorm), ClipGradNorm.DEFAULT_ERROR_IF_NONFINITE);
    }

    /**
     * Clips by a total norm: {@code norm} says which ({@link ClipGradNorm#L2}, {@link ClipGradNorm#INF})
     * and over what (all parameters, {@code .perGroup()}, or {@code .perTensor()} as Keras's
     * {@code clipnorm}); {@code maxNorm} may follow a schedule;
     * {@code errorIfNonfinite} refuses a step whose total is NaN or infinite instead of taking it.
     * Given again, it replaces the clipping given before.
     */
    @SuppressWarnings("unchecked")
    default B clipGradNorm(ClipGradNorm norm, Schedule maxNorm, boolean errorIfNonfinite) {
        Objects.requireNonNull(norm, "norm");
        parts().tool("clipGradNorm", norm, new Hyperparams(Map.of()).with(ClipGradNorm.MAX_NORM, maxNorm)
                .with(ClipGradNorm.ERROR_IF_NONFINITE, errorIfNonfinite));
        return (B) this;
    }

    /** Clips each gradient element into {@code [-clipValue, clipValue]} before the update ({@code clip_grad_value_}). */
    @SuppressWarnings("unchecked")
    default B clipGradValue(double clipValue) {
        parts().tool("clipGradValue", ClipGradValue.STAGE,
                new Hyperparams(Map.of()).with(ClipGradValue.CLIP_VALUE, Schedule.constant(clipValue)));
        return (B) this;
    }

    /**
     * Centralizes the gradient of every parameter with two or more dimensions before its update:
     * each row loses its mean over every dimension but the first (MindSpore's
     * {@code grad_centralization}), after the optimizer's own L2 decay.
     */
    default B centralizeGradients() {
        return centralizeGradients(Selector.oneDimensional().not());
    }

    /**
     * Centralizes the gradients of the parameters {@code on} selects (a group's selector, say
     * {@code Selector.convWeight()}); one-dimensional ones are left alone whatever it selects.
     * Given again, it replaces the selection given before.
     */
    @SuppressWarnings("unchecked")
    default B centralizeGradients(Selector on) {
        parts().tool("centralizeGradients", new Centralize(on), new Hyperparams(Map.of()).with(Centralize.ACTIVE, true));
        return (B) this;
    }

    /**
     * Keeps an exponential moving average of the weights, {@code ema = ema * decay + w * (1 - decay)}
     * after every update (Keras's {@code use_ema=True, ema_momentum=decay}); swap it into the model
     * with {@code Optimizer.swapAverages()} to evaluate or save it.
     */
    default B ema(double decay) {
        return ema(Ema.EVERY_STEP, Schedule.constant(decay));
    }

    /**
     * An average of the weights as {@code average} says ({@code Ema.EVERY_STEP.every(10).withWarmup()}),
     * its decay a number or a schedule. Given again, it replaces the average given before.
     */
    @SuppressWarnings("unchecked")
    default B ema(Ema average, Schedule decay) {
        Objects.requireNonNull(average, "average");
        parts().tool("ema", average, new Hyperparams(Map.of()).with(Ema.DECAY, decay));
        return (B) this;
    }

    /**
     * Keeps the stochastic weight average of the weights, PyTorch's {@code AveragedModel}: the
     * equal-weight mean of the weights after every update from each tensor's first. Swap it into
     * the model with {@code Optimizer.swapAverages()}; recompute batch-norm statistics for it with
     * {@code BatchNormStats.recompute} ({@code update_bn}). Where it starts and how often it
     * averages: {@link #swa(Swa)}.
     */
    default B swa() {
        return swa(Swa.EVERY_STEP);
    }

    /**
     * The stochastic weight average {@code average} says: {@code Swa.EVERY_STEP.start(Duration.epochs(160))
     * .every(Duration.epochs(1))} averages at the end of epoch 160 and of every epoch after it.
     * Given again, it replaces the one given before; an optimizer keeps one average, so
     * {@code ema(...)} and {@code swa(...)} together are refused.
     */
    @SuppressWarnings("unchecked")
    default B swa(Swa average) {
        Objects.requireNonNull(average, "average");
        parts().tool("swa", average, new Hyperparams(Map.of()));
        return (B) this;
    }

    /**
     * Scales the loss before the backward pass and divides the scale out of the gradients before
     * any other stage sees them (so clipping sees true gradients): {@link LossScale#dynamic()} is
     * PyTorch's {@code GradScaler}, {@link LossScale#fixed} MindSpore's {@code FixedLossScaleManager}.
     * The training loop multiplies the loss by {@code Optimizer.lossScale()}; a loop of your own must too.
     */
    @SuppressWarnings("unchecked")
    default B lossScale(LossScale lossScale) {
        parts().lossScale(lossScale);
        return (B) this;
    }

    /** What a step does with NaN or infinite gradients: stop (the default), skip and count, or apply them. */
    @SuppressWarnings("unchecked")
    default B onNonFinite(NonFinite policy) {
        parts().nonFinite(policy);
        return (B) this;
    }

    /**
     * What {@code zeroGrad()} leaves and a step does with a parameter that got no gradient since:
     * {@link NoGradient#SKIP} (the default, PyTorch 2.x's {@code set_to_none=True}) leaves it
     * alone; {@link NoGradient#ZERO} (torch 1.13's) updates it with zeros.
     */
    @SuppressWarnings("unchecked")
    default B onNoGradient(NoGradient policy) {
        parts().noGradient(policy);
        return (B) this;
    }

    /** The validated spec; every problem is reported at once in an {@code InvalidConfigException}. */
    default OptimizerSpec<G> build() {
        return parts().build();
    }
}
