package dev.anneal.config

import ai.djl.ndarray.NDArray
import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.Shape
import dev.anneal.optim.Adam
import dev.anneal.optim.Lion
import dev.anneal.optim.Optimizers
import dev.anneal.param.ParameterSet
import dev.anneal.param.Selector
import io.kotest.assertions.throwables.shouldThrowExactly
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.collections.shouldHaveAtLeastSize
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.string.shouldStartWith
import io.kotest.matchers.types.shouldBeInstanceOf

/**
 * Configurations Anneal must refuse, one per row: each throws [InvalidConfigException] with
 * exactly one violation, at the expected field path, whose message shows the value given and
 * what is allowed. Hyperparameter errors surface from `build()`; grouping errors (which need the
 * parameters) from `compile(...)` or `addGroup(...)`.
 */
class InvalidConfigSpec : FunSpec({
    val manager = NDManager.newBaseManager()
    afterSpec { manager.close() }

    /** conv1.weight, conv1.bias, bn1.gamma, bn1.beta, fc.weight, fc.bias trainable; embed.weight frozen. */
    fun params(): ParameterSet {
        val shapes = linkedMapOf(
            "conv1.weight" to Shape(2, 1, 3, 3), "conv1.bias" to Shape(2),
            "bn1.gamma" to Shape(2), "bn1.beta" to Shape(2),
            "fc.weight" to Shape(3, 2), "fc.bias" to Shape(3),
            "embed.weight" to Shape(5, 2),
        )
        val arrays = LinkedHashMap<String, NDArray>()
        for ((name, shape) in shapes) {
            val a = manager.ones(shape)
            a.setRequiresGradient(name != "embed.weight")
            arrays[name] = a
        }
        return ParameterSet.of(arrays)
    }

    data class Bad(val description: String, val path: String, val fragments: List<String>, val attempt: () -> Any?)

    val rows = listOf(
        // SGD
        Bad("sgd: negative lr", "optimizer.sgd.lr", listOf("must be non-negative (>= 0)", "got -0.1")) {
            Optimizers.sgd().lr(-0.1).build()
        },
        Bad("sgd: NaN lr", "optimizer.sgd.lr", listOf("must be non-negative (>= 0) and finite", "got NaN")) {
            Optimizers.sgd().lr(Double.NaN).build()
        },
        Bad("sgd: infinite lr", "optimizer.sgd.lr", listOf("must be non-negative (>= 0) and finite", "got Infinity")) {
            Optimizers.sgd().lr(Double.POSITIVE_INFINITY).build()
        },
        Bad("sgd: negative momentum", "optimizer.sgd.momentum", listOf("must be non-negative (>= 0)", "got -0.9")) {
            Optimizers.sgd().momentum(-0.9).build()
        },
        Bad("sgd: dampening above 1", "optimizer.sgd.dampening", listOf("must be in [0.0, 1.0]", "got 1.5")) {
            Optimizers.sgd().momentum(0.9).dampening(1.5).build()
        },
        Bad("sgd: negative dampening", "optimizer.sgd.dampening", listOf("must be in [0.0, 1.0]", "got -0.1")) {
            Optimizers.sgd().momentum(0.9).dampening(-0.1).build()
        },
        Bad("sgd: negative weight decay", "optimizer.sgd.weightDecay", listOf("must be non-negative (>= 0)", "got -0.01")) {
            Optimizers.sgd().weightDecay(-0.01).build()
        },
        Bad("sgd: infinite weight decay", "optimizer.sgd.weightDecay", listOf("finite", "got Infinity")) {
            Optimizers.sgd().weightDecay(Double.POSITIVE_INFINITY).build()
        },
        Bad(
            "sgd: Nesterov without momentum", "optimizer.sgd.nesterov",
            listOf("requires momentum > 0 and dampening == 0", "got momentum 0.0"),
        ) {
            Optimizers.sgd().nesterov(true).build()
        },
        Bad(
            "sgd: Nesterov with dampening", "optimizer.sgd.nesterov",
            listOf("requires momentum > 0 and dampening == 0", "got momentum 0.9 and dampening 0.1"),
        ) {
            Optimizers.sgd().momentum(0.9).dampening(0.1).nesterov(true).build()
        },
        // Momentum (MindSpore)
        Bad("momentum: negative lr", "optimizer.momentum.lr", listOf("must be non-negative (>= 0)", "got -0.01")) {
            Optimizers.momentum().lr(-0.01).momentum(0.9).build()
        },
        Bad("momentum: without lr", "optimizer.momentum.lr", listOf("is required", "no default")) {
            Optimizers.momentum().momentum(0.9).build()
        },
        Bad("momentum: without momentum", "optimizer.momentum.momentum", listOf("is required", "no default")) {
            Optimizers.momentum().lr(0.1).build()
        },
        Bad("momentum: negative momentum", "optimizer.momentum.momentum", listOf("must be non-negative (>= 0)", "got -0.5")) {
            Optimizers.momentum().lr(0.1).momentum(-0.5).build()
        },
        Bad("momentum: NaN weight decay", "optimizer.momentum.weightDecay", listOf("must be non-negative (>= 0)", "got NaN")) {
            Optimizers.momentum().lr(0.1).momentum(0.9).weightDecay(Double.NaN).build()
        },
        Bad("momentum: loss scale 0", "optimizer.momentum.lossScale", listOf("must be positive (> 0)", "got 0.0")) {
            Optimizers.momentum().lr(0.1).momentum(0.9).lossScale(0.0).build()
        },
        Bad("momentum: negative loss scale", "optimizer.momentum.lossScale", listOf("must be positive (> 0)", "got -128.0")) {
            Optimizers.momentum().lr(0.1).momentum(0.9).lossScale(-128.0).build()
        },
        Bad("momentum: infinite loss scale", "optimizer.momentum.lossScale", listOf("must be positive (> 0) and finite", "got Infinity")) {
            Optimizers.momentum().lr(0.1).momentum(0.9).lossScale(Double.POSITIVE_INFINITY).build()
        },
        // Adam
        Bad("adam: negative lr", "optimizer.adam.lr", listOf("must be non-negative (>= 0)", "got -0.001")) {
            Optimizers.adam().lr(-1e-3).build()
        },
        Bad("adam: beta1 = 1.0", "optimizer.adam.beta1", listOf("must be in [0.0, 1.0)", "got 1.0")) {
            Optimizers.adam().beta1(1.0).build()
        },
        Bad("adam: beta1 = -0.1", "optimizer.adam.beta1", listOf("must be in [0.0, 1.0)", "got -0.1")) {
            Optimizers.adam().beta1(-0.1).build()
        },
        Bad("adam: beta2 = 1.0", "optimizer.adam.beta2", listOf("must be in [0.0, 1.0)", "got 1.0")) {
            Optimizers.adam().betas(0.9, 1.0).build()
        },
        Bad("adam: beta2 = -0.1", "optimizer.adam.beta2", listOf("must be in [0.0, 1.0)", "got -0.1")) {
            Optimizers.adam().beta2(-0.1).build()
        },
        Bad("adam: NaN beta1", "optimizer.adam.beta1", listOf("must be in [0.0, 1.0)", "got NaN")) {
            Optimizers.adam().beta1(Double.NaN).build()
        },
        Bad("adam: eps = 0", "optimizer.adam.eps", listOf("must be positive (> 0)", "got 0.0")) {
            Optimizers.adam().eps(0.0).build()
        },
        Bad("adam: negative eps", "optimizer.adam.eps", listOf("must be positive (> 0)", "got -1.0E-8")) {
            Optimizers.adam().eps(-1e-8).build()
        },
        Bad("adam: infinite eps", "optimizer.adam.eps", listOf("must be positive (> 0) and finite", "got Infinity")) {
            Optimizers.adam().eps(Double.POSITIVE_INFINITY).build()
        },
        Bad("adam: negative weight decay", "optimizer.adam.weightDecay", listOf("must be non-negative (>= 0)", "got -0.1")) {
            Optimizers.adam().weightDecay(-0.1).build()
        },
        // AdamW
        Bad("adamW: negative lr", "optimizer.adamw.lr", listOf("must be non-negative (>= 0)", "got -0.5")) {
            Optimizers.adamW().lr(-0.5).build()
        },
        Bad("adamW: NaN lr", "optimizer.adamw.lr", listOf("must be non-negative (>= 0) and finite", "got NaN")) {
            Optimizers.adamW().lr(Double.NaN).build()
        },
        Bad("adamW: beta2 = 1.0", "optimizer.adamw.beta2", listOf("must be in [0.0, 1.0)", "got 1.0")) {
            Optimizers.adamW().beta2(1.0).build()
        },
        Bad("adamW: beta1 = -infinity", "optimizer.adamw.beta1", listOf("must be in [0.0, 1.0)", "got -Infinity")) {
            Optimizers.adamW().beta1(Double.NEGATIVE_INFINITY).build()
        },
        Bad("adamW: negative weight decay", "optimizer.adamw.weightDecay", listOf("must be non-negative (>= 0)", "got -0.01")) {
            Optimizers.adamW().weightDecay(-0.01).build()
        },
        Bad("adamW: eps = 0", "optimizer.adamw.eps", listOf("must be positive (> 0)", "got 0.0")) {
            Optimizers.adamW().eps(0.0).build()
        },
        Bad("lion: beta1 = 1.0", "optimizer.lion.beta1", listOf("must be in [0.0, 1.0)", "got 1.0")) {
            Optimizers.lion().beta1(1.0).build()
        },
        Bad("lion: negative weight decay", "optimizer.lion.weightDecay", listOf("must be non-negative (>= 0)", "got -0.1")) {
            Optimizers.lion().weightDecay(-0.1).build()
        },
        // values set by name, for configuration read at run time
        Bad("by name: a hyperparameter the optimizer lacks", "optimizer.sgd.beta1",
            listOf("is not a hyperparameter of sgd", "it has [lr, momentum, dampening, weightDecay, nesterov, maximize]")) {
            Optimizers.sgd().set("beta1", 0.9)
        },
        Bad("by name: a number for a flag", "optimizer.adam.amsgrad", listOf("takes a boolean", "got 1")) {
            Adam.ADAM.options().set("amsgrad", 1)
        },
        Bad("by name: a flag for a value", "optimizer.lion.lr", listOf("takes a number or a schedule", "got true")) {
            Lion.LION.options().set("lr", true)
        },
        Bad("by declaration: another optimizer's hyperparameter", "optimizer.lion.amsgrad",
            listOf("is not a hyperparameter of lion")) {
            Optimizers.lion().set(Adam.AMSGRAD, true)
        },
        // group overrides: the path names the group
        Bad("sgd group: negative lr", "optimizer.group[\"conv\"].sgd.lr", listOf("must be non-negative (>= 0)", "got -1.0")) {
            Optimizers.sgd().lr(0.1).group("conv") { it.lr(-1.0) }.build()
        },
        Bad(
            "sgd group: Nesterov where the defaults have no momentum", "optimizer.group[\"fast\"].sgd.nesterov",
            listOf("requires momentum > 0", "got momentum 0.0"),
        ) {
            Optimizers.sgd().group("fast", Selector.name("fc.weight")) { it.nesterov(true) }.build()
        },
        Bad("momentum group: NaN lr", "optimizer.group[\"bn\"].momentum.lr", listOf("finite", "got NaN")) {
            Optimizers.momentum().lr(0.1).momentum(0.9).group("bn") { it.lr(Double.NaN) }.build()
        },
        // Finite as a double, broken in float32, where the update computes
        Bad("adam: lr beyond float32", "optimizer.adam.lr", listOf("at most 3.4028235E38", "float32", "got 1.0E39")) {
            Optimizers.adam().lr(1e39).build()
        },
        Bad("adam: eps that is zero in float32", "optimizer.adam.eps", listOf("0 or at least 1.17549435E-38", "float32", "got 1.0E-50")) {
            Optimizers.adam().eps(1e-50).build()
        },
        Bad("adam: subnormal eps", "optimizer.adam.eps", listOf("0 or at least 1.17549435E-38", "got 1.0E-40")) {
            Optimizers.adam().eps(1e-40).build()
        },
        Bad("momentum: loss scale below float32", "optimizer.momentum.lossScale", listOf("0 or at least", "got 1.0E-310")) {
            Optimizers.momentum().lr(0.1).momentum(0.9).lossScale(1e-310).build()
        },
        Bad("momentum: loss scale beyond float32", "optimizer.momentum.lossScale", listOf("at most 3.4028235E38", "got 1.0E39")) {
            Optimizers.momentum().lr(0.1).momentum(0.9).lossScale(1e39).build()
        },
        Bad("sgd: weight decay beyond float32", "optimizer.sgd.weightDecay", listOf("at most 3.4028235E38", "got 5.0E38")) {
            Optimizers.sgd().weightDecay(5e38).build()
        },
        Bad("adamw group: lr beyond float32", "optimizer.group[\"bn\"].adamw.lr", listOf("at most 3.4028235E38", "got 1.0E300")) {
            Optimizers.adamW().group("bn") { it.lr(1e300) }.build()
        },
        Bad("momentum group: loss scale 0", "optimizer.group[\"bn\"].momentum.lossScale", listOf("must be positive (> 0)", "got 0.0")) {
            Optimizers.momentum().lr(0.1).momentum(0.9).group("bn") { it.lossScale(0.0) }.build()
        },
        Bad("adam group: beta1 = 1.0", "optimizer.group[\"head\"].adam.beta1", listOf("must be in [0.0, 1.0)", "got 1.0")) {
            Optimizers.adam().group("head", Selector.nameContains("fc")) { it.beta1(1.0) }.build()
        },
        Bad("adamW group: eps = 0", "optimizer.group[\"norm\"].adamw.eps", listOf("must be positive (> 0)", "got 0.0")) {
            Optimizers.adamW().group("norm", Selector.norm()) { it.eps(0.0) }.build()
        },
        // group structure
        Bad(
            "a group whose name matches nothing", "optimizer.group[\"decoder\"]",
            listOf(
                "selects no trainable parameter (selector nameContains(\"decoder\"))",
                "trainable parameters are: conv1.weight, conv1.bias, bn1.gamma, bn1.beta, fc.weight, fc.bias",
            ),
        ) {
            Optimizers.sgd().group("decoder") { it.lr(0.1) }.build().compile(params())
        },
        Bad(
            "a group matching only frozen parameters", "optimizer.group[\"embed\"]",
            listOf("selects no trainable parameter", "it matches only frozen parameters: embed.weight"),
        ) {
            Optimizers.adam().group("embed") { it.lr(0.1) }.build().compile(params())
        },
        Bad(
            "overlapping groups", "optimizer.group[\"bias\"]",
            listOf("overlaps group[\"conv\"]", "both select conv1.bias", "a parameter belongs to one group"),
        ) {
            Optimizers.sgd().group("conv") {}.group("bias", Selector.bias()) {}.build().compile(params())
        },
        Bad("duplicate group names", "optimizer.group[\"fc\"]", listOf("is declared twice", "must be unique")) {
            Optimizers.sgd()
                .group("fc", Selector.name("fc.weight")) { it.lr(0.1) }
                .group("fc", Selector.name("fc.bias")) { it.lr(0.2) }
                .build().compile(params())
        },
        Bad("the reserved name \"default\"", "optimizer.group[\"default\"]", listOf("uses the reserved name \"default\"")) {
            Optimizers.sgd().group("default", Selector.bias()) { it.lr(0.1) }.build()
        },
        Bad("a blank group name", "optimizer.group[\" \"]", listOf("needs a non-blank name")) {
            Optimizers.sgd().group(" ", Selector.bias()) { it.lr(0.1) }.build().compile(params())
        },
        Bad("an empty group name", "optimizer.group[\"\"]", listOf("needs a non-blank name")) {
            Optimizers.sgd().group("", Selector.bias()) { it.lr(0.1) }.build().compile(params())
        },
        // groups added after compiling
        Bad("addGroup: invalid override", "optimizer.group[\"embed\"].adam.lr", listOf("must be non-negative (>= 0)", "got -0.5")) {
            val set = params()
            Optimizers.adam().build().compile(set).use { optimizer ->
                set.get("embed.weight").get().array().setRequiresGradient(true)
                optimizer.addGroup("embed", Selector.name("embed.weight")) { it.lr(-0.5) }
            }
        },
        Bad("addGroup: a name already in use", "optimizer.group[\"head\"]", listOf("already exists", "must be unique")) {
            val set = params()
            Optimizers.adam().group("head", Selector.nameContains("fc")) {}.build().compile(set).use { optimizer ->
                set.get("embed.weight").get().array().setRequiresGradient(true)
                optimizer.addGroup("head", Selector.name("embed.weight")) {}
            }
        },
        Bad(
            "addGroup: selecting a parameter another group manages", "optimizer.group[\"late\"]",
            listOf("selects fc.weight, which another group already manages"),
        ) {
            val set = params()
            Optimizers.adam().build().compile(set).use { optimizer ->
                set.get("embed.weight").get().array().setRequiresGradient(true)
                optimizer.addGroup("late", Selector.glob("*.weight").and(Selector.nameContains("conv").not())) {}
            }
        },
        Bad(
            "addGroup: matching nothing", "optimizer.group[\"late\"]",
            listOf("selects no trainable parameter (selector name(\"decoder.weight\"))", "trainable parameters in no group yet are: embed.weight"),
        ) {
            val set = params()
            Optimizers.adam().build().compile(set).use { optimizer ->
                set.get("embed.weight").get().array().setRequiresGradient(true)
                optimizer.addGroup("late", Selector.name("decoder.weight")) {}
            }
        },
    )

    test("the table covers at least 32 invalid configurations, each with a distinct description") {
        rows shouldHaveAtLeastSize 32
        rows.map { it.description }.distinct().size shouldBe rows.size
    }

    context("each invalid configuration is refused with its path and a message showing the value and the rule") {
        withData(nameFn = { it.description }, rows) { row ->
            val e = shouldThrowExactly<InvalidConfigException> { row.attempt() }
            e.violations().map { it.path() } shouldContainExactly listOf(row.path)
            val problem = e.violations().single().problem()
            e.message shouldBe "${row.path} $problem"
            for (fragment in row.fragments) {
                withClue("fragment <$fragment>") { problem shouldContain fragment }
            }
        }
    }

    test("a bad regular expression fails where the selector is written, saying what is wrong") {
        val e = shouldThrowExactly<InvalidConfigException> { Selector.regex("conv(") }
        e.violations() shouldContainExactly listOf(
            Violation("selector.regex", "is not a valid regular expression: Unclosed group near index 5 of \"conv(\""),
        )
    }

    context("several violations in one spec are reported together") {
        test("every bad Adam default, in declaration order") {
            val e = shouldThrowExactly<InvalidConfigException> {
                Optimizers.adam().lr(-1.0).betas(1.0, -0.1).eps(0.0).weightDecay(-0.1).build()
            }
            e.violations().size shouldBe 5
            e.violations().map { it.path() } shouldContainExactly listOf(
                "optimizer.adam.lr", "optimizer.adam.beta1", "optimizer.adam.beta2", "optimizer.adam.eps",
                "optimizer.adam.weightDecay",
            )
            e.violations().map { it.problem() } shouldContainExactly listOf(
                "must be non-negative (>= 0) and finite, got -1.0",
                "must be in [0.0, 1.0), got 1.0",
                "must be in [0.0, 1.0), got -0.1",
                "must be positive (> 0) and finite, got 0.0",
                "must be non-negative (>= 0) and finite, got -0.1",
            )
            e.message!! shouldStartWith "5 problems:\n"
            e.message!!.lines().drop(1) shouldContainExactly e.violations().map { "  - ${it.path()} ${it.problem()}" }
        }

        test("defaults and group overrides together") {
            val e = shouldThrowExactly<InvalidConfigException> {
                Optimizers.sgd().lr(-1.0)
                    .group("head", Selector.nameContains("fc")) { it.lr(0.1).dampening(2.0) }
                    .group("conv", Selector.nameContains("conv")) { it.lr(0.1).weightDecay(Double.NaN) }
                    .build()
            }
            e.violations().size shouldBe 3
            e.violations().map { it.path() } shouldContainExactly listOf(
                "optimizer.sgd.lr",
                "optimizer.group[\"head\"].sgd.dampening",
                "optimizer.group[\"conv\"].sgd.weightDecay",
            )
        }

        test("Momentum without lr and without momentum") {
            val e = shouldThrowExactly<InvalidConfigException> { Optimizers.momentum().build() }
            e.violations().size shouldBe 2
            e.violations().map { it.path() } shouldContainExactly listOf("optimizer.momentum.lr", "optimizer.momentum.momentum")
        }

        test("a bad default is reported once, not again for each group that inherits it") {
            val e = shouldThrowExactly<InvalidConfigException> {
                Optimizers.adam().beta1(1.0).group("conv") { it.lr(0.1) }.group("fc") { it.beta2(2.0) }.build()
            }
            e.violations().map { it.path() } shouldContainExactly listOf(
                "optimizer.adam.beta1", "optimizer.group[\"fc\"].adam.beta2",
            )
        }

        test("every naming problem found when building") {
            val e = shouldThrowExactly<InvalidConfigException> {
                Optimizers.sgd()
                    .group("a", Selector.name("fc.weight")) {}
                    .group("a", Selector.name("fc.bias")) {}
                    .group("", Selector.name("conv1.weight")) {}
                    .group("default", Selector.name("conv1.bias")) {}
                    .build()
            }
            e.violations().map { it.path() } shouldContainExactly listOf(
                "optimizer.group[\"a\"]", "optimizer.group[\"\"]", "optimizer.group[\"default\"]",
            )
            e.violations()[0].problem() shouldContain "is declared twice"
            e.violations()[1].problem() shouldContain "needs a non-blank name"
            e.violations()[2].problem() shouldContain "reserved name"
        }

        test("every grouping problem found when compiling") {
            val spec = Optimizers.sgd()
                .group("a", Selector.name("fc.weight")) {}
                .group("ghost", Selector.name("decoder.weight")) {}
                .group("b", Selector.nameContains("fc")) {}
                .build()
            val e = shouldThrowExactly<InvalidConfigException> { spec.compile(params()) }
            e.violations().map { it.path() } shouldContainExactly listOf(
                "optimizer.group[\"ghost\"]", "optimizer.group[\"b\"]",
            )
            e.violations()[0].problem() shouldContain "selects no trainable parameter"
            e.violations()[1].problem() shouldBe
                "overlaps group[\"a\"]: both select fc.weight; a parameter belongs to one group"
        }
    }
})
