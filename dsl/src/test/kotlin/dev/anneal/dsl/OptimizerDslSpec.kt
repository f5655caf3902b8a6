package dev.anneal.dsl

import dev.anneal.grad.ClipGradNorm
import dev.anneal.grad.Ema
import dev.anneal.grad.LossScale
import dev.anneal.grad.NoGradient
import dev.anneal.grad.NonFinite
import dev.anneal.grad.Swa
import dev.anneal.config.InvalidConfigException
import dev.anneal.optim.Optimizers
import dev.anneal.param.Selector
import dev.anneal.schedule.Duration
import dev.anneal.schedule.Phase
import dev.anneal.schedule.Schedule
import dev.anneal.schedule.Timeline
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import io.kotest.matchers.string.shouldContain
import kotlin.reflect.KParameter
import kotlin.reflect.full.extensionReceiverParameter
import kotlin.reflect.jvm.kotlinFunction

/** Each DSL construct against the spec the Java builders make by hand. */
class OptimizerDslSpec : FunSpec({
    val warmupCosine = Timeline.of(Phase.warmup(Duration.steps(500), 0.0), Phase.cosine(Duration.epochs(10), 1e-3, 0.0))

    test("the issue's example: adam with a scheduled lr and two groups") {
        val dsl = optimizer {
            adam(lr = schedule { warmup(steps = 500) then cosine(epochs = 10, peak = 1e-3) }, beta1 = 0.9)
            group("conv") { weightDecay = 0.01 }
            group(bias or norm) { weightDecay = 0.0 }
        }
        val java = Optimizers.adam().lr(warmupCosine).beta1(0.9)
            .group("conv") { it.weightDecay(0.01) }
            .group("bias or norm", Selector.bias().or(Selector.norm())) { it.weightDecay(0.0) }
            .build()
        dsl shouldBe java
    }

    test("every generated DSL function starts from the engine's declared defaults, for every optimizer") {
        val functions = Class.forName("dev.anneal.dsl.OptimizersKt").declaredMethods
            .mapNotNull { it.kotlinFunction }.filter { it.extensionReceiverParameter != null }
        functions.map { it.name }.toSet() shouldBe Optimizers.chains().map { it.typeName().replaceFirstChar(Char::lowercase) }.toSet()
        for (chain in Optimizers.chains()) {
            val function = functions.single { it.name == chain.typeName().replaceFirstChar(Char::lowercase) }
            val scope = OptimizerScope<Any>()
            val required = function.parameters.filter { it.kind == KParameter.Kind.VALUE && !it.isOptional }
            function.callBy(mapOf(function.extensionReceiverParameter!! to scope) + required.associateWith { 0.5 })
            val expected = required.fold(chain.options()) { b, p -> b.set(p.name!!, 0.5) }.build()
            withClue(chain.name()) {
                scope.build().defaults() shouldBe expected.defaults()
                required.map { it.name } shouldBe chain.hyperparameters().filter { chain.defaults().get(it) == null }.map { it.name() }
            }
        }
        optimizer { adamW() } shouldNotBe optimizer { adam() }
    }

    test("every argument of every optimizer reaches the spec") {
        optimizer { sgd(lr = 0.1, momentum = 0.9, dampening = 0.0, weightDecay = 1e-4, nesterov = true, maximize = true) } shouldBe
            Optimizers.sgd().lr(0.1).momentum(0.9).dampening(0.0).weightDecay(1e-4).nesterov(true).maximize(true).build()
        optimizer { sgd(momentum = 0.5, dampening = 0.1) } shouldBe Optimizers.sgd().momentum(0.5).dampening(0.1).build()
        optimizer { momentum(lr = 0.1, momentum = 0.8, weightDecay = 1e-4, nesterov = true, lossScale = 128.0) } shouldBe
            Optimizers.momentum().lr(0.1).momentum(0.8).weightDecay(1e-4).nesterov(true).lossScale(128.0).build()
        optimizer { adam(lr = 3e-4, beta1 = 0.8, beta2 = 0.99, eps = 1e-6, weightDecay = 0.1, amsgrad = true, maximize = true) } shouldBe
            Optimizers.adam().lr(3e-4).betas(0.8, 0.99).eps(1e-6).weightDecay(0.1).amsgrad(true).maximize(true).build()
        optimizer { adamW(lr = 3e-4, weightDecay = 0.05, amsgrad = true) } shouldBe
            Optimizers.adamW().lr(3e-4).weightDecay(0.05).amsgrad(true).build()
    }

    test("every group property of every optimizer reaches the spec, constants and schedules alike") {
        val ramp = schedule { linear(0.0, 0.9, steps = 100) }
        optimizer {
            sgd(lr = 0.1)
            group("head") { lr = 0.01; momentum = ramp; dampening = 0.1; weightDecay = 0; nesterov = false; maximize = true }
        } shouldBe Optimizers.sgd().lr(0.1).group("head") {
            it.lr(0.01).momentum(ramp.schedule).dampening(0.1).weightDecay(0.0).nesterov(false).maximize(true)
        }.build()
        optimizer {
            momentum(lr = 0.1, momentum = 0.9)
            group("head", glob("*head*")) { lr = ramp; momentum = 0.8; weightDecay = 1e-4; nesterov = true }
        } shouldBe Optimizers.momentum().lr(0.1).momentum(0.9).group("head", Selector.glob("*head*")) {
            it.lr(ramp.schedule).momentum(0.8).weightDecay(1e-4).nesterov(true)
        }.build()
        optimizer {
            adamW()
            group("emb", regex("embed")) { lr = 1e-4; beta1 = 0.5; beta2 = ramp; eps = 1e-6; weightDecay = 0.0; amsgrad = true; maximize = false }
        } shouldBe Optimizers.adamW().group("emb", Selector.regex("embed")) {
            it.lr(1e-4).beta1(0.5).beta2(ramp.schedule).eps(1e-6).weightDecay(0.0).amsgrad(true).maximize(false)
        }.build()
    }

    test("a group property reads back what was set; unset ones inherit") {
        var seen: Number? = -1.0
        var unset: Number? = -1.0
        val spec = optimizer {
            adam()
            group("x") { lr = 0.5; seen = lr; unset = beta1 }
        }
        seen shouldBe 0.5
        unset shouldBe null
        spec.groups()[0].overrides().fields() shouldBe mapOf("lr" to Schedule.constant(0.5))
    }

    test("noWeightDecayOn and group selectors, as in MindSpore's and timm's rules") {
        optimizer {
            adamW(weightDecay = 0.05)
            noWeightDecayOn(oneDimensional)
            noWeightDecayOn(named("bias"))
            group(convWeight) { lr = 1e-4 }
        } shouldBe Optimizers.adamW().weightDecay(0.05).noWeightDecayOn(Selector.oneDimensional())
            .noWeightDecayOn(Selector.nameContains("bias"))
            .group("convWeight".let { Selector.convWeight().toString() }, Selector.convWeight()) { it.lr(1e-4) }.build()
    }

    test("orderParams, as MindSpore's order_params, as the Java builders put it") {
        val spec = optimizer { sgd(lr = 0.1); orderParams("fc.bias", "fc.weight") }
        spec shouldBe Optimizers.sgd().lr(0.1).orderParams("fc.bias", "fc.weight").build()
        spec.order() shouldBe listOf("fc.bias", "fc.weight")
    }

    test("Prodigy as its users write it: lr a cosine from 1, decay on the weights only, as the Java builders put it") {
        val cosine = schedule { warmup(steps = 50) then cosine(steps = 950, peak = 1.0) }
        optimizer {
            prodigy(lr = cosine, weightDecay = 0.01, safeguardWarmup = true)
            noWeightDecayOn(oneDimensional)
            group("bias") { eps = 1e-6 }
        } shouldBe Optimizers.prodigy().lr(cosine.schedule).weightDecay(0.01).safeguardWarmup(true)
            .noWeightDecayOn(Selector.oneDimensional()).group("bias") { it.eps(1e-6) }.build()
    }

    test("gradient clipping in front of any optimizer, as the Java builders put it") {
        optimizer { adamW(lr = 1e-3); clipGradNorm(1.0) } shouldBe Optimizers.adamW().lr(1e-3).clipGradNorm(1.0).build()
        val maxNorm = schedule { linear(5.0, 1.0, steps = 100) }
        optimizer {
            sgd(lr = 0.1)
            clipGradNorm(maxNorm, norm = ClipGradNorm.INF.perGroup(), errorIfNonfinite = true)
            group("head") { lr = 0.01 }
        } shouldBe Optimizers.sgd().lr(0.1).clipGradNorm(ClipGradNorm.INF.perGroup(), maxNorm.schedule, true)
            .group("head") { it.lr(0.01) }.build()
        optimizer { lion(); clipGradValue(0.5) } shouldBe Optimizers.lion().clipGradValue(0.5).build()
        optimizer { adam(); clipGradNorm(1.0, norm = ClipGradNorm.L2.perTensor()) } shouldBe
            Optimizers.adam().clipGradNorm(ClipGradNorm.L2.perTensor(), Schedule.constant(1.0), false).build()
        optimizer { adam(); clipGradNorm(1.0, norm = ClipGradNorm.L2.perTensor()) } shouldNotBe optimizer { adam(); clipGradNorm(1.0) }
        optimizer { momentum(lr = 0.1, momentum = 0.9); centralizeGradients() } shouldBe
            Optimizers.momentum().lr(0.1).momentum(0.9).centralizeGradients().build()
        optimizer { adam(); centralizeGradients(on = convWeight) } shouldBe
            Optimizers.adam().centralizeGradients(Selector.convWeight()).build()
        optimizer { adam(); centralizeGradients(on = convWeight) } shouldNotBe optimizer { adam(); centralizeGradients() }
        optimizer { sgd(); onNoGradient(NoGradient.ZERO) } shouldBe Optimizers.sgd().onNoGradient(NoGradient.ZERO).build()
        optimizer { sgd(); onNoGradient(NoGradient.ZERO) } shouldNotBe optimizer { sgd() }
        optimizer { adamW(); clipGradNorm(1.0) } shouldNotBe optimizer { adamW() }
        optimizer { adamW(); clipGradNorm(1.0) } shouldNotBe optimizer { adamW(); clipGradNorm(2.0) }
    }

    test("loss scaling and the non-finite policy, as the Java builders put them") {
        optimizer { adamW(lr = 1e-3); lossScale(dynamicLossScale()) } shouldBe
            Optimizers.adamW().lr(1e-3).lossScale(LossScale.dynamic()).build()
        optimizer { sgd(); lossScale(dynamicLossScale(initScale = 1024.0, growthInterval = 100)) } shouldBe
            Optimizers.sgd().lossScale(LossScale.dynamic(1024.0, 2.0, 0.5, 100)).build()
        optimizer { momentum(lr = 0.01, momentum = 0.9); lossScale(mindSporeDynamicLossScale()) } shouldBe
            Optimizers.momentum().lr(0.01).momentum(0.9).lossScale(LossScale.mindSporeDynamic()).build()
        optimizer { adam(); lossScale(fixedLossScale()); onNonFinite(NonFinite.SKIP) } shouldBe
            Optimizers.adam().lossScale(LossScale.fixed(128.0, true)).onNonFinite(NonFinite.SKIP).build()
        optimizer { adam(); lossScale(fixedLossScale(1024.0, dropOverflowUpdate = false)) } shouldNotBe
            optimizer { adam(); lossScale(fixedLossScale(1024.0)) }
        optimizer { adam(); onNonFinite(NonFinite.APPLY) } shouldNotBe optimizer { adam() }
    }

    test("an average of the weights, as the Java builders put it") {
        optimizer { adamW(); ema() } shouldBe Optimizers.adamW().ema(Ema.DEFAULT_DECAY).build()
        optimizer { adamW(); ema(0.999, every = 10, warmup = true) } shouldBe
            Optimizers.adamW().ema(Ema.EVERY_STEP.every(10).withWarmup(), Schedule.constant(0.999)).build()
        val decay = schedule { linear(0.9, 0.999, steps = 1000) }
        optimizer { sgd(); ema(decay) } shouldBe Optimizers.sgd().ema(Ema.EVERY_STEP, decay.schedule).build()
        optimizer { sgd(); ema() } shouldNotBe optimizer { sgd(); ema(every = 2) }
    }

    test("a stochastic weight average, in steps or epochs, as the Java builders put it") {
        optimizer { sgd(); swa() } shouldBe Optimizers.sgd().swa().build()
        optimizer { sgd(); swa() } shouldBe Optimizers.sgd().swa(Swa.EVERY_STEP.start(Swa.DEFAULT_START).every(Swa.DEFAULT_EVERY)).build()
        optimizer { sgd(lr = 0.05); swa(start = 160.epochs, every = 1.epochs) } shouldBe
            Optimizers.sgd().lr(0.05).swa(Swa.EVERY_STEP.start(Duration.epochs(160)).every(Duration.epochs(1))).build()
        optimizer { adamW(); swa(start = 1000.steps, every = 100.steps) } shouldBe
            Optimizers.adamW().swa(Swa.EVERY_STEP.start(1000).every(100)).build()
        optimizer { adamW(); swa(start = 3.epochs, every = 50.steps) } shouldBe
            Optimizers.adamW().swa(Swa.EVERY_STEP.start(Duration.epochs(3)).every(50)).build()
        optimizer { sgd(); swa() } shouldNotBe optimizer { sgd(); swa(every = 2.steps) }
        shouldThrow<InvalidConfigException> { optimizer { sgd(); swa(start = 0.epochs) } }.message shouldBe
            "optimizer.swa.start must be at least 1 epoch, got 0"
        shouldThrow<InvalidConfigException> { optimizer { sgd(); swa(every = (-1).steps) } }.message shouldBe
            "optimizer.swa.every must be at least 1 step, got -1"
        shouldThrow<InvalidConfigException> { optimizer { sgd(); ema(); swa() } }.message shouldContain
            "optimizer.sgd keeps one average of the weights, got ema(...) and swa(...)"
    }

    test("a scheduled value is a Number holding the engine's schedule; a plain number is a constant") {
        val s = schedule { constant(0.1, steps = 10) then linear(0.1, 0.0, steps = 10) }
        s.toDouble() shouldBe 0.1
        s.schedule shouldBe Timeline.of(Phase.constant(Duration.steps(10), 0.1), Phase.linear(Duration.steps(10), 0.1, 0.0))
        Schedule.constant(0.3).scheduled.schedule shouldBe Schedule.constant(0.3)
        optimizer { sgd(lr = 1) } shouldBe Optimizers.sgd().lr(1.0).build()
    }

    test("values are checked by the engine, every problem at once, with the field's path") {
        val e = shouldThrow<InvalidConfigException> {
            optimizer {
                adam(lr = -1, beta1 = 1.5)
                group("x") { eps = 0 }
            }
        }
        e.message shouldContain "optimizer.adam.lr must be non-negative"
        e.message shouldContain "optimizer.adam.beta1"
        e.message shouldContain "optimizer.group[\"x\"].adam.eps"
    }

    test("an optimizer block names exactly one optimizer, before its groups") {
        shouldThrow<InvalidConfigException> { optimizer<AdamGroup> { } }.message shouldBe
            "optimizer needs its optimizer (adam(...), sgd(...), ...) before the end of optimizer { }"
        shouldThrow<InvalidConfigException> { optimizer { sgd(); sgd(lr = 0.1) } }.message shouldBe
            "optimizer names one optimizer, got sgd and then sgd"
        shouldThrow<InvalidConfigException> { optimizer<AdamGroup> { group("x") { lr = 0.1 }; adam() } }.message shouldBe
            "optimizer needs its optimizer (adam(...), sgd(...), ...) before group(\"x\")"
    }
})
