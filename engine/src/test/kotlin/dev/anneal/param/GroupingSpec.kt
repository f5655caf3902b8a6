package dev.anneal.param

import ai.djl.ndarray.NDArray
import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.Shape
import ai.djl.nn.convolutional.Conv2d
import ai.djl.nn.core.Linear
import ai.djl.nn.norm.BatchNorm
import ai.djl.nn.norm.LayerNorm
import dev.anneal.config.InvalidConfigException
import dev.anneal.config.Violation
import dev.anneal.optim.AuditRow
import dev.anneal.optim.Optimizers
import dev.anneal.schedule.Schedule
import dev.anneal.support.GradientGenerator
import dev.anneal.support.TinyNet
import dev.anneal.support.TinyNet.Companion.ALL
import dev.anneal.support.TinyNet.Companion.BN_BETA
import dev.anneal.support.TinyNet.Companion.BN_GAMMA
import dev.anneal.support.TinyNet.Companion.BN_MEAN
import dev.anneal.support.TinyNet.Companion.BN_VAR
import dev.anneal.support.TinyNet.Companion.CONV1_B
import dev.anneal.support.TinyNet.Companion.CONV1_W
import dev.anneal.support.TinyNet.Companion.CONV2_W
import dev.anneal.support.TinyNet.Companion.FC1_B
import dev.anneal.support.TinyNet.Companion.FC1_W
import dev.anneal.support.TinyNet.Companion.FC2_W
import dev.anneal.support.TinyNet.Companion.LN_BETA
import dev.anneal.support.TinyNet.Companion.LN_GAMMA
import dev.anneal.support.TinyNet.Companion.TRAINABLE
import dev.anneal.support.awayFromZero
import dev.anneal.support.backward
import dev.anneal.support.zeroBackward
import dev.anneal.support.bits
import io.kotest.assertions.throwables.shouldThrowExactly
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.collections.shouldHaveSize
import io.kotest.matchers.doubles.plusOrMinus
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.string.shouldEndWith
import io.kotest.matchers.string.shouldStartWith

/**
 * How parameters are grouped: which names each selector picks, which group each parameter ends
 * up in, what is rejected (overlaps, empty groups, duplicate and reserved names), frozen
 * parameters, groups added after compiling, the built-in no-weight-decay rules, and the audit.
 * Everything is checked against exact parameter names, mostly those DJL gives a small
 * convolutional net ([TinyNet]).
 */
class GroupingSpec : FunSpec({
    val manager = NDManager.newBaseManager()
    afterSpec { manager.close() }

    fun net() = TinyNet(manager)

    fun names(set: ParameterSet, selector: Selector) = set.select { selector.matches(it) }.map { it.name() }

    /** Plain arrays, trainable unless listed in [frozen]; 0 dimensions for an empty shape. */
    fun plain(shapes: Map<String, LongArray>, frozen: Set<String> = emptySet()): ParameterSet {
        val arrays = LinkedHashMap<String, NDArray>()
        shapes.entries.forEachIndexed { i, (name, shape) ->
            val s = Shape(*shape)
            val a = manager.create(GradientGenerator.values(5, 0, i, s.size().toInt(), 1.0), s)
            a.setRequiresGradient(name !in frozen)
            arrays[name] = a
        }
        return ParameterSet.of(arrays)
    }

    /** A transformer-ish set of plain arrays whose kinds are recognised by name alone. */
    fun transformerLike(frozen: Set<String> = emptySet()) = plain(
        linkedMapOf(
            "embed.table" to longArrayOf(10, 4),
            "gamma_proj.weight" to longArrayOf(4, 4),
            "attn.weight" to longArrayOf(4, 4),
            "attn.bias" to longArrayOf(4),
            "norm.gamma" to longArrayOf(4),
            "norm.beta" to longArrayOf(4),
            "conv1.weight" to longArrayOf(2, 1, 3, 3),
            "scale" to longArrayOf(),
        ),
        frozen,
    )

    context("the test net") {
        test("has the parameters DJL names, running statistics not trainable") {
            val net = net()
            val set = net.parameterSet()
            set.all().map { it.name() } shouldContainExactly ALL
            set.trainable().map { it.name() } shouldContainExactly TRAINABLE
            set.all().filter { !it.isTrainable() }.map { it.name() } shouldContainExactly listOf(BN_MEAN, BN_VAR)
            set.get(CONV1_W).get().layer() shouldBe "Conv2d"
            set.get(BN_MEAN).get().layer() shouldBe "BatchNorm"
            // the deterministic values really were written into the parameters
            net.array(FC1_B).toFloatArray().toList() shouldBe GradientGenerator.values(11, 0, 8, 8, 1.0).toList()
        }
    }

    context("selectors pick exact names from the net's parameters (trainable or not)") {
        data class Case(val description: String, val selector: Selector, val expected: List<String>)
        withData(
            nameFn = { it.description },
            Case("name", Selector.name(FC1_B), listOf(FC1_B)),
            Case("name is exact, not a fragment", Selector.name("Linear_bias"), listOf()),
            Case("glob over the whole name", Selector.glob("*Conv2d_*"), listOf(CONV1_W, CONV1_B, CONV2_W)),
            Case("glob ? is one character", Selector.glob("0?Linear_weight"), listOf(FC1_W, FC2_W)),
            Case("glob is anchored at both ends", Selector.glob("Conv2d*"), listOf()),
            Case("glob treats regex characters literally", Selector.glob("0.Linear_weight"), listOf()),
            Case(
                "regex searches anywhere", Selector.regex("Norm_(gamma|beta)$"),
                listOf(BN_GAMMA, BN_BETA, LN_GAMMA, LN_BETA),
            ),
            Case("regex finds running statistics", Selector.regex("running"), listOf(BN_MEAN, BN_VAR)),
            Case(
                "regex anchored at the start", Selector.regex("^0[12]"),
                listOf(CONV1_W, CONV1_B, BN_GAMMA, BN_BETA, BN_MEAN, BN_VAR),
            ),
            Case("nameContains ignores case", Selector.nameContains("CONV"), listOf(CONV1_W, CONV1_B, CONV2_W)),
            Case("nameContains ignores case (mixed)", Selector.nameContains("linear_W"), listOf(FC1_W, FC2_W)),
            Case("layer Conv2d", Selector.layer(Conv2d::class.java), listOf(CONV1_W, CONV1_B, CONV2_W)),
            Case(
                "layer BatchNorm includes its running statistics", Selector.layer(BatchNorm::class.java),
                listOf(BN_GAMMA, BN_BETA, BN_MEAN, BN_VAR),
            ),
            Case("layer Linear", Selector.layer(Linear::class.java), listOf(FC1_W, FC1_B, FC2_W)),
            Case("layer LayerNorm", Selector.layer(LayerNorm::class.java), listOf(LN_GAMMA, LN_BETA)),
            Case("bias", Selector.bias(), listOf(CONV1_B, FC1_B)),
            Case("norm: gamma and beta, not running statistics", Selector.norm(), listOf(BN_GAMMA, BN_BETA, LN_GAMMA, LN_BETA)),
            Case("convWeight: 3x3 and 1x1 kernels", Selector.convWeight(), listOf(CONV1_W, CONV2_W)),
            Case(
                "oneDimensional", Selector.oneDimensional(),
                listOf(CONV1_B, BN_GAMMA, BN_BETA, BN_MEAN, BN_VAR, FC1_B, LN_GAMMA, LN_BETA),
            ),
            Case(
                "kind BETA_GAMMA_NAME", Selector.kind(ParamKind.BETA_GAMMA_NAME),
                listOf(BN_GAMMA, BN_BETA, LN_GAMMA, LN_BETA),
            ),
            Case("where", Selector.where("more than 100 elements") { it.shape().size() > 100 }, listOf(CONV1_W, FC1_W)),
            Case(
                "layer(Conv2d) and not bias", Selector.layer(Conv2d::class.java).and(Selector.bias().not()),
                listOf(CONV1_W, CONV2_W),
            ),
            Case(
                "bias or norm", Selector.bias().or(Selector.norm()),
                listOf(CONV1_B, BN_GAMMA, BN_BETA, FC1_B, LN_GAMMA, LN_BETA),
            ),
            Case(
                "oneDimensional and not norm", Selector.oneDimensional().and(Selector.norm().not()),
                listOf(CONV1_B, BN_MEAN, BN_VAR, FC1_B),
            ),
            Case(
                "(layer Linear or layer LayerNorm) and not bias",
                Selector.layer(Linear::class.java).or(Selector.layer(LayerNorm::class.java)).and(Selector.bias().not()),
                listOf(FC1_W, LN_GAMMA, LN_BETA, FC2_W),
            ),
            Case(
                "not oneDimensional", Selector.oneDimensional().not(),
                listOf(CONV1_W, CONV2_W, FC1_W, FC2_W),
            ),
        ) { case ->
            names(net().parameterSet(), case.selector) shouldContainExactly case.expected
        }
    }

    context("selectors over plain arrays recognise kinds by name and shape") {
        data class Case(val description: String, val selector: Selector, val expected: List<String>)
        withData(
            nameFn = { it.description },
            Case("bias: last name part", Selector.bias(), listOf("attn.bias")),
            Case("norm: last name part gamma or beta", Selector.norm(), listOf("norm.gamma", "norm.beta")),
            Case(
                "BETA_GAMMA_NAME: anywhere in the name (MindSpore)", Selector.kind(ParamKind.BETA_GAMMA_NAME),
                listOf("gamma_proj.weight", "norm.gamma", "norm.beta"),
            ),
            Case(
                "oneDimensional includes a 0-dim scalar (timm)", Selector.oneDimensional(),
                listOf("attn.bias", "norm.gamma", "norm.beta", "scale"),
            ),
            Case("convWeight: a weight with 3 or more dimensions", Selector.convWeight(), listOf("conv1.weight")),
            Case("layer is unknown for plain arrays", Selector.layer(Linear::class.java), listOf()),
            Case("glob *.weight", Selector.glob("*.weight"), listOf("gamma_proj.weight", "attn.weight", "conv1.weight")),
        ) { case ->
            names(transformerLike(), case.selector) shouldContainExactly case.expected
        }
    }

    context("overlapping groups") {
        test("two groups selecting one parameter: the error names both groups and the parameter") {
            val spec = Optimizers.sgd()
                .group("conv", Selector.layer(Conv2d::class.java)) { it.lr(0.1) }
                .group("bias", Selector.bias()) { it.lr(0.2) }
                .build()
            val e = shouldThrowExactly<InvalidConfigException> { spec.compile(net().parameterSet()) }
            e.violations() shouldContainExactly listOf(
                Violation(
                    "optimizer.group[\"bias\"]",
                    "overlaps group[\"conv\"]: both select $CONV1_B; a parameter belongs to one group",
                ),
            )
            e.message shouldBe "optimizer.group[\"bias\"] overlaps group[\"conv\"]: both select $CONV1_B; " +
                "a parameter belongs to one group"
        }

        test("every pair of overlapping groups is reported with all the names they share") {
            val spec = Optimizers.adam()
                .group("convs", Selector.nameContains("conv")) {}
                .group("weights", Selector.glob("*_weight")) {}
                .group("first", Selector.regex("^01")) {}
                .build()
            val e = shouldThrowExactly<InvalidConfigException> { spec.compile(net().parameterSet()) }
            e.violations() shouldContainExactly listOf(
                Violation(
                    "optimizer.group[\"weights\"]",
                    "overlaps group[\"convs\"]: both select $CONV1_W, $CONV2_W; a parameter belongs to one group",
                ),
                Violation(
                    "optimizer.group[\"first\"]",
                    "overlaps group[\"convs\"]: both select $CONV1_W, $CONV1_B; a parameter belongs to one group",
                ),
                Violation(
                    "optimizer.group[\"first\"]",
                    "overlaps group[\"weights\"]: both select $CONV1_W; a parameter belongs to one group",
                ),
            )
        }

        test("a frozen parameter selected by two groups is no overlap") {
            val net = net()
            net.parameter(CONV1_B).freeze(true)
            Optimizers.sgd()
                .group("conv", Selector.layer(Conv2d::class.java)) {}
                .group("bias", Selector.bias()) {}
                .build().compile(net.parameterSet()).use { optimizer ->
                    val groupOf = optimizer.audit().associate { it.param() to it.group() }
                    groupOf[CONV1_B] shouldBe "-"
                    groupOf[CONV1_W] shouldBe "conv"
                    groupOf[CONV2_W] shouldBe "conv"
                    groupOf[FC1_B] shouldBe "bias"
                }
        }
    }

    context("empty groups") {
        test("a group matching nothing: the error names the group, its selector and the trainable names") {
            val spec = Optimizers.adam().group("decoder") { it.lr(0.1) }.build()
            val e = shouldThrowExactly<InvalidConfigException> { spec.compile(net().parameterSet()) }
            e.violations() shouldContainExactly listOf(
                Violation(
                    "optimizer.group[\"decoder\"]",
                    "selects no trainable parameter (selector nameContains(\"decoder\")); trainable parameters are: " +
                        TRAINABLE.joinToString(", "),
                ),
            )
        }

        test("a group matching only frozen parameters says so and names them") {
            val spec = Optimizers.adam().group("stats", Selector.regex("running")) {}.build()
            val e = shouldThrowExactly<InvalidConfigException> { spec.compile(net().parameterSet()) }
            e.violations() shouldContainExactly listOf(
                Violation(
                    "optimizer.group[\"stats\"]",
                    "selects no trainable parameter (selector regex(\"running\")); " +
                        "it matches only frozen parameters: $BN_MEAN, $BN_VAR",
                ),
            )
        }

        test("a group over a frozen layer says so and names its parameters") {
            val net = net()
            net.block.children.get(0).value.freezeParameters(true) // 01Conv2d
            net.parameter(CONV2_W).freeze(true)
            val spec = Optimizers.sgd().group("backbone", Selector.layer(Conv2d::class.java)) {}.build()
            val e = shouldThrowExactly<InvalidConfigException> { spec.compile(net.parameterSet()) }
            e.violations() shouldContainExactly listOf(
                Violation(
                    "optimizer.group[\"backbone\"]",
                    "selects no trainable parameter (selector layer(Conv2d)); " +
                        "it matches only frozen parameters: $CONV1_W, $CONV1_B, $CONV2_W",
                ),
            )
        }

        test("a long list of trainable names is cut after 12, with the count") {
            val set = plain((0 until 15).associate { "p%02d".format(it) to longArrayOf(2) })
            val spec = Optimizers.sgd().group("ghost", Selector.name("p99")) {}.build()
            val e = shouldThrowExactly<InvalidConfigException> { spec.compile(set) }
            e.violations().single().problem() shouldBe
                "selects no trainable parameter (selector name(\"p99\")); trainable parameters are: " +
                (0 until 12).joinToString(", ") { "p%02d".format(it) } + ", ... (15 in all)"
        }
    }

    context("group names") {
        test("a duplicate group name is rejected when built") {
            val e = shouldThrowExactly<InvalidConfigException> {
                Optimizers.sgd()
                    .group("head", Selector.name(FC1_W)) {}
                    .group("head", Selector.name(FC2_W)) {}
                    .build()
            }
            e.violations() shouldContainExactly listOf(
                Violation("optimizer.group[\"head\"]", "is declared twice; group names must be unique"),
            )
        }

        test("two groups of one name selecting the same parameters report the name, not a self-overlap") {
            val e = shouldThrowExactly<InvalidConfigException> {
                Optimizers.sgd().group("conv") {}.group("conv") {}.build()
            }
            e.violations() shouldContainExactly listOf(
                Violation("optimizer.group[\"conv\"]", "is declared twice; group names must be unique"),
            )
        }

        test("the reserved name \"default\" is rejected when built") {
            val e = shouldThrowExactly<InvalidConfigException> {
                Optimizers.adam().group("default", Selector.bias()) { it.lr(0.1) }.build()
            }
            e.violations() shouldContainExactly listOf(
                Violation(
                    "optimizer.group[\"default\"]",
                    "uses the reserved name \"default\"; set defaults on the optimizer itself",
                ),
            )
        }
    }

    context("frozen parameters") {
        test("frozen before compiling: in no group, shown frozen, never updated (bit for bit)") {
            val set = transformerLike(frozen = setOf("embed.table", "norm.beta"))
            val before = set.all().associate { it.name() to it.array().toFloatArray() }
            Optimizers.sgd().lr(0.5).momentum(0.9).weightDecay(0.1).build().compile(set).use { optimizer ->
                repeat(3) { zeroBackward(set); optimizer.step() }
                optimizer.state().tensors().keys.toList() shouldContainExactly listOf(
                    "gamma_proj.weight/momentum_buffer", "attn.weight/momentum_buffer", "attn.bias/momentum_buffer",
                    "norm.gamma/momentum_buffer", "conv1.weight/momentum_buffer", "scale/momentum_buffer",
                )
                val audit = optimizer.audit().associateBy { it.param() }
                for (frozen in listOf("embed.table", "norm.beta")) {
                    audit.getValue(frozen).group() shouldBe "-"
                    audit.getValue(frozen).values() shouldBe mapOf("status" to "frozen")
                    set.get(frozen).get().array().toFloatArray().bits() shouldBe before.getValue(frozen).bits()
                }
                // the others did move (zero gradient, weight decay 0.1)
                for (name in listOf("gamma_proj.weight", "attn.bias", "scale")) {
                    audit.getValue(name).group() shouldBe "default"
                    set.get(name).get().array().toFloatArray().bits() shouldNotBe before.getValue(name).bits()
                }
            }
        }

        test("BatchNorm running statistics are not trainable: in no group, shown frozen, unchanged") {
            val net = net()
            val before = net.values()
            Optimizers.sgd().lr(0.5).momentum(0.9).weightDecay(0.5).build().compile(net.parameterSet()).use { optimizer ->
                zeroBackward(net.parameterSet())
                optimizer.step()
                optimizer.state().tensors().keys.toList() shouldContainExactly TRAINABLE.map { "$it/momentum_buffer" }
                val audit = optimizer.audit().associateBy { it.param() }
                for (stat in listOf(BN_MEAN, BN_VAR)) {
                    audit.getValue(stat) shouldBe AuditRow(stat, "(4)", "-", mapOf("status" to "frozen"))
                    net.array(stat).toFloatArray().bits() shouldBe before.getValue(stat).bits()
                    }
                net.array(BN_GAMMA).toFloatArray().bits() shouldNotBe before.getValue(BN_GAMMA).bits()
            }
        }

        test("frozen after compiling: skipped by step (bit for bit), shown frozen, resumes when unfrozen") {
            val net = net()
            Optimizers.sgd().lr(0.5).weightDecay(0.5)
                .group("head", Selector.layer(Linear::class.java)) { it.lr(0.1) }
                .build().compile(net.parameterSet()).use { optimizer ->
                    net.parameter(FC1_W).freeze(true)
                    net.parameter(CONV1_W).freeze(true)
                    val before = net.values()
                    zeroBackward(net.parameterSet())
                    optimizer.step()
                    optimizer.zeroGrad() // DJL dropped the frozen gradients; clearing must skip them
                    zeroBackward(net.parameterSet())
                    optimizer.step()
                    val after = net.values()
                    for (name in listOf(FC1_W, CONV1_W)) {
                        after.getValue(name).bits() shouldBe before.getValue(name).bits()
                    }
                    for (name in listOf(FC1_B, FC2_W, CONV1_B, LN_GAMMA)) {
                        after.getValue(name).bits() shouldNotBe before.getValue(name).bits()
                    }
                    val groupOf = optimizer.audit().associate { it.param() to it.group() }
                    groupOf[FC1_W] shouldBe "-"
                    groupOf[CONV1_W] shouldBe "-"
                    groupOf[FC2_W] shouldBe "head"

                    net.parameter(FC1_W).freeze(false)
                    zeroBackward(net.parameterSet())
                    optimizer.step()
                    // zero gradient, weight decay only: w * (1 - 0.1 * 0.5), computed in float32
                    val resumed = net.array(FC1_W).toFloatArray()
                    resumed.forEachIndexed { i, v ->
                        v.toDouble() shouldBe (after.getValue(FC1_W)[i] * 0.95).plusOrMinus(1e-6)
                    }
                    optimizer.audit().first { it.param() == FC1_W }.group() shouldBe "head"
                }
        }
    }

    context("unfreezing a whole block") {
        test("freezeParameters(false) leaves BatchNorm's running statistics out of every group") {
            val net = net()
            net.block.freezeParameters(false)
            Optimizers.sgd().lr(0.1).weightDecay(0.5).build().compile(net.parameterSet()).use { optimizer ->
                val groupOf = optimizer.audit().associate { it.param() to it.group() }
                groupOf[BN_MEAN] shouldBe "-"
                groupOf[BN_VAR] shouldBe "-"
                val before = net.values()
                zeroBackward(net.parameterSet())
                optimizer.step()
                net.values().getValue(BN_VAR).bits() shouldBe before.getValue(BN_VAR).bits()
                // the step did run: weight decay moved the unfrozen weights
                net.values().getValue(FC1_W).bits() shouldNotBe before.getValue(FC1_W).bits()
            }
        }
    }

    context("a group added after compiling (fine-tuning an unfrozen backbone)") {
        val conv = listOf(CONV1_W, CONV1_B, CONV2_W)
        val lr = 1e-2
        val backboneLr = 2e-2

        fun spec() = Optimizers.adam().lr(lr)
            .group("head", Selector.layer(Linear::class.java).or(Selector.layer(LayerNorm::class.java))) { it.lr(5e-3) }
            .build()

        fun freezeConv(net: TinyNet) = conv.forEach { net.parameter(it).freeze(true) }

        /** The same gradients for the trainable parameters of both nets, then a step of each. */
        fun stepBoth(step: Long, pairs: List<Pair<TinyNet, dev.anneal.optim.Optimizer<*>>>) {
            for ((net, optimizer) in pairs) {
                val grads = net.block.parameters.filter { it.value.requiresGradient() }.associate { entry ->
                    val i = ALL.indexOf(entry.key)
                    entry.value.array to awayFromZero(3, step, i, entry.value.array.shape.size().toInt())
                }
                backward(net.manager, grads)
                optimizer.step()
                optimizer.zeroGrad()
            }
        }

        test("leaves the other groups alone; its first step is a fresh optimizer's step 1") {
            val net = net()
            val twin = TinyNet(manager) // same values, never gets the new group
            freezeConv(net)
            freezeConv(twin)
            spec().compile(net.parameterSet()).use { optimizer ->
                spec().compile(twin.parameterSet()).use { reference ->
                    optimizer.groups() shouldContainExactly listOf("default", "head")
                    for (t in 1L..3L) stepBoth(t, listOf(net to optimizer, twin to reference))

                    val stateBefore = optimizer.state().tensors().mapValues { it.value.toFloatArray() }
                    stateBefore.keys.none { key -> conv.any { key.startsWith("$it/") } } shouldBe true
                    val valuesBefore = net.values()

                    conv.forEach { net.parameter(it).freeze(false) }
                    optimizer.audit().filter { it.param() in conv }.map { it.values() }.distinct() shouldBe
                        listOf(mapOf("status" to "not managed"))
                    optimizer.addGroup("backbone", Selector.layer(Conv2d::class.java)) { it.lr(backboneLr) }

                    // (a) nothing that existed changed: state tensors and every parameter value
                    optimizer.groups() shouldContainExactly listOf("default", "head", "backbone")
                    optimizer.stepCount() shouldBe 3
                    conv.map { optimizer.state().updates()[it] } shouldBe conv.map { 0L }
                    val stateAfter = optimizer.state().tensors()
                    for ((key, value) in stateBefore) {
                        withClue(key) { stateAfter.getValue(key).toFloatArray().bits() shouldBe value.bits() }
                    }
                    val newKeys = stateAfter.keys - stateBefore.keys
                    newKeys.toList() shouldContainExactly conv.flatMap { listOf("$it/exp_avg", "$it/exp_avg_sq") }
                    newKeys.forEach { key -> stateAfter.getValue(key).toFloatArray().all { it == 0f } shouldBe true }
                    val valuesAfterAdd = net.values()
                    for ((name, value) in valuesBefore) {
                        withClue(name) { valuesAfterAdd.getValue(name).bits() shouldBe value.bits() }
                    }
                    optimizer.audit().filter { it.param() in conv }.map { it.group() to it.values()["lr"] }.distinct() shouldBe
                        listOf("backbone" to backboneLr)

                    // a fresh optimizer over copies of the backbone, with the group's effective values
                    val copies = LinkedHashMap<String, NDArray>()
                    conv.forEach { name ->
                        val copy = net.array(name).duplicate()
                        copy.setRequiresGradient(true)
                        copies[name] = copy
                    }
                    val fresh = Optimizers.adam().lr(backboneLr).build().compile(ParameterSet.of(copies))

                    stepBoth(4, listOf(net to optimizer, twin to reference))
                    backward(manager, copies.map { (name, copy) ->
                        copy to awayFromZero(3, 4, ALL.indexOf(name), copy.shape.size().toInt())
                    }.toMap())
                    fresh.step()

                    // (b) the backbone's first step equals a fresh optimizer's step 1, bit for bit...
                    for (name in conv) {
                        withClue(name) {
                            net.array(name).toFloatArray().bits() shouldBe copies.getValue(name).toFloatArray().bits()
                        }
                        // ...which for Adam moves each weight by lr * sign(grad) (bias correction restarted)
                        val g = awayFromZero(3, 4, ALL.indexOf(name), valuesBefore.getValue(name).size)
                        val moved = net.array(name).toFloatArray()
                        moved.forEachIndexed { i, w ->
                            val expected = valuesBefore.getValue(name)[i] - backboneLr * Math.signum(g[i].toDouble())
                            w.toDouble() shouldBe expected.plusOrMinus(1e-6)
                        }
                    }
                    // the other groups went on exactly as if nothing had been added
                    for (name in TRAINABLE - conv) {
                        withClue(name) { net.array(name).toFloatArray().bits() shouldBe twin.array(name).toFloatArray().bits() }
                    }
                    val twinState = reference.state().tensors()
                    for ((key, value) in twinState) {
                        withClue(key) {
                            optimizer.state().tensors().getValue(key).toFloatArray().bits() shouldBe value.toFloatArray().bits()
                        }
                    }
                    fresh.close()
                }
            }
        }

        test("adding a group that selects a parameter another group manages is an error, and changes nothing") {
            val net = net()
            freezeConv(net)
            spec().compile(net.parameterSet()).use { optimizer ->
                zeroBackward(net.parameterSet())
                optimizer.step()
                conv.forEach { net.parameter(it).freeze(false) }
                val stateKeys = optimizer.state().tensors().keys

                val onlyManaged = shouldThrowExactly<InvalidConfigException> {
                    optimizer.addGroup("linear", Selector.layer(Linear::class.java)) {}
                }
                onlyManaged.violations() shouldContainExactly listOf(
                    Violation(
                        "optimizer.group[\"linear\"]",
                        "selects $FC1_W, $FC1_B, $FC2_W, which another group already manages; " +
                            "a parameter belongs to one group",
                    ),
                )

                // 01Conv2d_bias is free, 06Linear_bias is in "head": still an error, naming only the managed one
                val mixed = shouldThrowExactly<InvalidConfigException> {
                    optimizer.addGroup("biases", Selector.bias()) {}
                }
                mixed.violations() shouldContainExactly listOf(
                    Violation(
                        "optimizer.group[\"biases\"]",
                        "selects $FC1_B, which another group already manages; a parameter belongs to one group",
                    ),
                )

                optimizer.groups() shouldContainExactly listOf("default", "head")
                optimizer.state().tensors().keys shouldBe stateKeys
            }
        }

        test("adding a group that matches nothing, or only frozen parameters, is an error naming what is left") {
            val net = net()
            freezeConv(net)
            spec().compile(net.parameterSet()).use { optimizer ->
                net.parameter(CONV1_W).freeze(false)
                net.parameter(CONV1_B).freeze(false)

                val nothing = shouldThrowExactly<InvalidConfigException> {
                    optimizer.addGroup("decoder", Selector.nameContains("decoder")) {}
                }
                nothing.violations() shouldContainExactly listOf(
                    Violation(
                        "optimizer.group[\"decoder\"]",
                        "selects no trainable parameter (selector nameContains(\"decoder\")); " +
                            "trainable parameters in no group yet are: $CONV1_W, $CONV1_B",
                    ),
                )

                val frozen = shouldThrowExactly<InvalidConfigException> {
                    optimizer.addGroup("conv2", Selector.name(CONV2_W)) {}
                }
                frozen.violations() shouldContainExactly listOf(
                    Violation(
                        "optimizer.group[\"conv2\"]",
                        "selects no trainable parameter (selector name(\"$CONV2_W\")); " +
                            "it matches only frozen parameters: $CONV2_W",
                    ),
                )
                optimizer.groups() shouldContainExactly listOf("default", "head")
            }
        }
    }

    context("default no-weight-decay rules") {
        test("MindSpore's rule: names with beta or gamma get no decay, whatever their group; the rest keep their group's") {
            val net = net()
            Optimizers.momentum().lr(0.5).momentum(0.9).weightDecay(0.1)
                .group("head", Selector.layer(Linear::class.java).or(Selector.layer(LayerNorm::class.java))) {
                    it.weightDecay(0.2)
                }
                .noWeightDecayOn(Selector.kind(ParamKind.BETA_GAMMA_NAME))
                .build().compile(net.parameterSet()).use { optimizer ->
                    val decay = optimizer.audit().map { Triple(it.param(), it.group(), it.values()["weightDecay"]) }
                    decay shouldContainExactly listOf(
                        Triple(CONV1_W, "default", 0.1),
                        Triple(CONV1_B, "default", 0.1),
                        Triple(BN_GAMMA, "default", 0.0),
                        Triple(BN_BETA, "default", 0.0),
                        Triple(BN_MEAN, "-", null),
                        Triple(BN_VAR, "-", null),
                        Triple(CONV2_W, "default", 0.1),
                        Triple(FC1_W, "head", 0.2),
                        Triple(FC1_B, "head", 0.2),
                        Triple(LN_GAMMA, "head", 0.0),
                        Triple(LN_BETA, "head", 0.0),
                        Triple(FC2_W, "head", 0.2),
                    )
                    val before = net.values()
                    zeroBackward(net.parameterSet())
                    optimizer.step() // every gradient is zero: only weight decay moves a weight
                    val after = net.values()
                    // unchanged: exactly the exempt ones, and the (frozen) running statistics
                    ALL.filter { after.getValue(it).bits() == before.getValue(it).bits() } shouldContainExactly
                        listOf(BN_GAMMA, BN_BETA, BN_MEAN, BN_VAR, LN_GAMMA, LN_BETA)
                    // MindSpore's first step from a zero accumulator: w - lr * wd * w
                    after.getValue(CONV1_W).forEachIndexed { i, w ->
                        w.toDouble() shouldBe (before.getValue(CONV1_W)[i] * (1 - 0.5 * 0.1)).plusOrMinus(1e-6)
                    }
                    after.getValue(FC2_W).forEachIndexed { i, w ->
                        w.toDouble() shouldBe (before.getValue(FC2_W)[i] * (1 - 0.5 * 0.2)).plusOrMinus(1e-6)
                    }
                }
        }

        test("timm's rule: one-dimensional tensors get no decay; AdamW shrinks exactly the others") {
            val net = net()
            Optimizers.adamW().lr(0.1).weightDecay(0.5).noWeightDecayOn(Selector.oneDimensional())
                .build().compile(net.parameterSet()).use { optimizer ->
                    val decay = optimizer.audit().filter { it.group() != "-" }.associate { it.param() to it.values()["weightDecay"] }
                    decay.filterValues { it == 0.0 }.keys.toList() shouldContainExactly
                        listOf(CONV1_B, BN_GAMMA, BN_BETA, FC1_B, LN_GAMMA, LN_BETA)
                    decay.filterValues { it == 0.5 }.keys.toList() shouldContainExactly listOf(CONV1_W, CONV2_W, FC1_W, FC2_W)
                    val before = net.values()
                    zeroBackward(net.parameterSet())
                    optimizer.step()
                    val after = net.values()
                    ALL.filter { after.getValue(it).bits() == before.getValue(it).bits() } shouldContainExactly
                        listOf(CONV1_B, BN_GAMMA, BN_BETA, BN_MEAN, BN_VAR, FC1_B, LN_GAMMA, LN_BETA)
                    // decoupled decay with a zero gradient: exactly w * (1 - lr * wd) in float32
                    for (name in listOf(CONV1_W, CONV2_W, FC1_W, FC2_W)) {
                        after.getValue(name).bits() shouldBe before.getValue(name).map { it * 0.95f }.toFloatArray().bits()
                    }
                }
        }

        context("over plain arrays, a zero-gradient SGD step leaves exactly the exempt parameters unchanged") {
            data class Rule(val description: String, val selector: Selector, val exempt: List<String>)
            withData(
                nameFn = { it.description },
                Rule(
                    "BETA_GAMMA_NAME", Selector.kind(ParamKind.BETA_GAMMA_NAME),
                    listOf("gamma_proj.weight", "norm.gamma", "norm.beta"),
                ),
                Rule("oneDimensional", Selector.oneDimensional(), listOf("attn.bias", "norm.gamma", "norm.beta", "scale")),
                Rule("bias or norm", Selector.bias().or(Selector.norm()), listOf("attn.bias", "norm.gamma", "norm.beta")),
            ) { rule ->
                val set = transformerLike()
                val all = set.all().map { it.name() }
                Optimizers.sgd().lr(0.5).weightDecay(0.05).noWeightDecayOn(rule.selector).build().compile(set).use { optimizer ->
                    optimizer.audit().map { it.param() to it.values()["weightDecay"] } shouldContainExactly
                        all.map { it to (if (it in rule.exempt) 0.0 else 0.05) }
                    val before = set.all().associate { it.name() to it.array().toFloatArray() }
                    zeroBackward(set)
                    optimizer.step()
                    all.filter { set.get(it).get().array().toFloatArray().bits() == before.getValue(it).bits() } shouldContainExactly
                        rule.exempt
                }
            }
        }
    }

    context("the no-decay rule and the default group") {
        test("a no-decay selector that matches no trainable parameter is an error naming it") {
            val e = shouldThrowExactly<InvalidConfigException> {
                Optimizers.adamW().noWeightDecayOn(Selector.bias()).noWeightDecayOn(Selector.glob("*embedding*")).build()
                    .compile(net().parameterSet())
            }
            e.violations() shouldContainExactly listOf(
                Violation("optimizer.noWeightDecayOn[1]", "selects no trainable parameter (selector glob(\"*embedding*\"))"),
            )
        }

        test("noWeightDecayOn called twice exempts the parameters of both calls") {
            val net = net()
            Optimizers.adamW().noWeightDecayOn(Selector.bias()).noWeightDecayOn(Selector.norm()).build()
                .compile(net.parameterSet()).use { optimizer ->
                    val exempt = optimizer.audit().filter { it.values()["weightDecay"] == 0.0 }.map { it.param() }
                    exempt shouldContainExactly listOf(CONV1_B, BN_GAMMA, BN_BETA, FC1_B, LN_GAMMA, LN_BETA)
                }
        }

        test("groups() leaves out a default group that explicit groups emptied") {
            val net = net()
            Optimizers.sgd().group("all", Selector.glob("*")) { it.lr(0.2) }.build()
                .compile(net.parameterSet()).use { optimizer ->
                    optimizer.groups() shouldContainExactly listOf("all")
                    optimizer.state().updates().keys shouldContainExactly TRAINABLE.toSet()
                }
        }
    }

    context("deterministic order") {
        test("audit rows follow block.getParameters(); groups() is default first, then declared order") {
            val net = net()
            val spec = Optimizers.sgd()
                .group("zeta", Selector.layer(Linear::class.java)) { it.lr(0.3) }
                .group("alpha", Selector.layer(BatchNorm::class.java)) { it.lr(0.2) }
                .group("mid", Selector.layer(LayerNorm::class.java)) { it.lr(0.1) }
                .build()
            spec.compile(net.parameterSet()).use { optimizer ->
                optimizer.audit().map { it.param() } shouldContainExactly net.block.parameters.keys()
                optimizer.audit().map { it.param() } shouldContainExactly ALL
                optimizer.groups() shouldContainExactly listOf("default", "zeta", "alpha", "mid")
                optimizer.audit().map { it.group() } shouldContainExactly listOf(
                    "default", "default", "alpha", "alpha", "-", "-", "default", "zeta", "zeta", "mid", "mid", "zeta",
                )
                // a second compile of the same spec gives the same audit
                spec.compile(net.parameterSet()).use { again -> again.audit() shouldBe optimizer.audit() }
            }
        }
    }

    context("the audit") {
        test("rows give each parameter's group and effective values, group overrides and exemptions included") {
            val net = net()
            Optimizers.sgd().lr(0.1).momentum(0.9).weightDecay(5e-4)
                .group("head", Selector.layer(Linear::class.java)) { it.lr(0.01).weightDecay(1e-4) }
                .noWeightDecayOn(Selector.bias())
                .build().compile(net.parameterSet()).use { optimizer ->
                    fun values(lr: Double, weightDecay: Double) = mapOf(
                        "lr" to lr, "momentum" to 0.9, "dampening" to 0.0, "weightDecay" to weightDecay,
                        "nesterov" to false, "maximize" to false,
                    )
                    val frozen = mapOf("status" to "frozen")
                    val expected = listOf(
                        AuditRow(CONV1_W, "(4, 3, 3, 3)", "default", values(0.1, 5e-4)),
                        AuditRow(CONV1_B, "(4)", "default", values(0.1, 0.0)),
                        AuditRow(BN_GAMMA, "(4)", "default", values(0.1, 5e-4)),
                        AuditRow(BN_BETA, "(4)", "default", values(0.1, 5e-4)),
                        AuditRow(BN_MEAN, "(4)", "-", frozen),
                        AuditRow(BN_VAR, "(4)", "-", frozen),
                        AuditRow(CONV2_W, "(4, 4, 1, 1)", "default", values(0.1, 5e-4)),
                        AuditRow(FC1_W, "(8, 64)", "head", values(0.01, 1e-4)),
                        AuditRow(FC1_B, "(8)", "head", values(0.01, 0.0)),
                        AuditRow(LN_GAMMA, "(8)", "default", values(0.1, 5e-4)),
                        AuditRow(LN_BETA, "(8)", "default", values(0.1, 5e-4)),
                        AuditRow(FC2_W, "(2, 8)", "head", values(0.01, 1e-4)),
                    )
                    optimizer.audit() shouldContainExactly expected
                    optimizer.hyperparams("head").fields()["lr"] shouldBe Schedule.constant(0.01)
                    optimizer.currentValues("default") shouldBe values(0.1, 5e-4)

                    val lines = optimizer.auditTable().lines().filter { it.isNotEmpty() }
                    lines shouldHaveSize 1 + ALL.size
                    lines[0] shouldStartWith "parameter"
                    lines[0] shouldEndWith "values"
                    expected.forEachIndexed { i, row ->
                        val line = lines[i + 1]
                        withClue(line) {
                            line shouldStartWith row.param() + " "
                            line shouldContain "  ${row.shape()}  "
                            line shouldContain "  ${row.group()}  "
                            line shouldEndWith row.values().entries.sortedBy { it.key }
                                .joinToString(" ") { "${it.key}=${it.value}" }
                        }
                    }
                    lines[8] shouldEndWith "dampening=0.0 lr=0.01 maximize=false momentum=0.9 nesterov=false weightDecay=1.0E-4"
                }
        }
    }
})
