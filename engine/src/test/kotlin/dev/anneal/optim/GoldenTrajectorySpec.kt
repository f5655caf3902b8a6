package dev.anneal.optim

import ai.djl.ndarray.NDArray
import ai.djl.ndarray.NDArrays
import ai.djl.ndarray.index.NDIndex
import ai.djl.ndarray.types.DataType
import dev.anneal.support.GoldenCase
import dev.anneal.support.replay
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.doubles.shouldBeGreaterThan
import io.kotest.matchers.doubles.shouldBeLessThanOrEqual
import io.kotest.matchers.ints.shouldBeGreaterThanOrEqual
import io.kotest.matchers.shouldBe
import io.kotest.matchers.collections.shouldContainAll
import dev.anneal.schedule.Schedule
import kotlin.math.max
import kotlin.math.pow
import kotlin.math.sqrt

/**
 * Every optimizer against its reference trajectories (tools/golden/): 100 steps, parameters
 * compared after every step, within 1e-6 relative in float32, on the fused and the generic path.
 */
class GoldenTrajectorySpec : FunSpec({
    // The bar is 1e-6 relative; both paths in fact reproduce PyTorch's bits on x86-64
    // with FMA, so a rounding change shows here as a failure, not as drift within tolerance.
    val tolerance = 0.0

    // L-BFGS is driven by a closure, on a problem of its own, with its own fixture: LbfgsGoldenSpec.
    val chains = Optimizers.chains().filterNot { chain -> chain.stages().any(Stage::searches) }
    for (optimizer in chains.map { it.name() }) {
        val cases = GoldenCase.load(optimizer)

        test("$optimizer has at least 20 reference cases of 100 steps") {
            cases.size shouldBeGreaterThanOrEqual 20
            cases.forEach { it.steps shouldBe 100 }
        }

        for (execution in Execution.entries) {
            context("$optimizer matches its reference on the ${execution.name.lowercase()} path") {
                withData(nameFn = { it.name }, cases) { case ->
                    val worst = replay(case, step = GoldenSpecs.stepper(case, execution))
                    withClue(worst.where) { worst.relative shouldBeLessThanOrEqual tolerance }
                }
            }
        }
    }

    // ASGD's average and Schedule-Free's x are state, not parameters: after the last step,
    // swapAverages() must put in the reference's, and swapped again give back the weights bit for bit.
    for (optimizer in listOf("asgd", "schedulefreeadamw", "schedulefreesgd")) {
        for (execution in Execution.entries) {
            context("$optimizer's weights to evaluate are the reference's after the last step on the ${execution.name.lowercase()} path") {
                withData(nameFn = { it.name }, GoldenCase.load(optimizer)) { case ->
                    val averages = mutableMapOf<String, FloatArray>()
                    val restored = mutableMapOf<String, Boolean>()
                    replay(case) { arrays ->
                        val compiled = GoldenSpecs.of(case).compile(dev.anneal.param.ParameterSet.of(arrays), execution)
                        var t = 0
                        val step: () -> Unit = {
                            compiled.step()
                            compiled.zeroGrad()
                            if (++t == case.steps) {
                                val weights = arrays.mapValues { it.value.toFloatArray() }
                                compiled.swapAverages()
                                arrays.forEach { (name, w) -> averages[name] = w.toFloatArray() }
                                compiled.swapAverages()
                                arrays.forEach { (name, w) ->
                                    restored[name] = w.toFloatArray().contentEquals(weights.getValue(name))
                                }
                            }
                        }
                        step
                    }
                    for (p in case.params) {
                        withClue(p.name) {
                            averages.getValue(p.name).toList() shouldBe case.average(p.name)!!.toList()
                            restored[p.name] shouldBe true
                        }
                    }
                }
            }
        }
    }

    context("builders start from torch.optim's defaults, where torch.optim has the optimizer") {
        val torchOptimizers = chains.filter { GoldenCase.torchDefaults(it.name()).isNotEmpty() }
        torchOptimizers.map { it.name() } shouldContainAll listOf("sgd", "adam", "adamw")
        withData(nameFn = { it.name() }, torchOptimizers) { chain ->
            val torch = GoldenCase.torchDefaults(chain.name())
            val ours = chain.defaults().fields()
                .mapValues { (_, v) -> if (v is Schedule.Constant) v.value() else v }
            for ((name, value) in torch) {
                withClue(name) { ours[name] shouldBe value }
            }
        }
    }

    // Each rule is also written with plain DJL operations, which round differently from torch's
    // fused kernels: written right it stays within 1e-4 of the largest parameter, so the reference
    // is what tells the deliberate mistake, not the rounding.
    context("a deliberately wrong update fails the reference, and the same rule written right passes") {
        data class Mistake(val name: String, val optimizer: String, val case: String, val rule: (Boolean) -> (Map<String, NDArray>) -> () -> Unit)
        withData(nameFn = { it.name }, listOf(
            Mistake("Adam without bias correction", "adam", "defaults") { wrong -> { plainAdam(it, biasCorrection = !wrong) } },
            Mistake("Lion that takes the sign of the updated momentum instead of the interpolation", "lion", "defaults") { wrong ->
                { plainLion(it, signOfUpdated = wrong) }
            },
            Mistake("SGD whose momentum buffer starts at zero, so that the first gradient is dampened too", "sgd",
                "momentum-0.9-dampening-0.5") { wrong ->
                { plainSgd(it, bufferFromZero = wrong) }
            },
            Mistake("RMSprop with eps inside the square root, where TensorFlow puts it", "rmsprop", "eps-1e-3") { wrong ->
                { plainRmsProp(it, epsInsideRoot = wrong) }
            },
            Mistake("Adagrad whose sum ignores the initial accumulator value", "adagrad", "initial-accumulator-0.1") { wrong ->
                { plainAdagrad(it, initial = if (wrong) 0f else 0.1f) }
            },
            Mistake("Adamax without bias correction", "adamax", "defaults") { wrong -> { plainAdamax(it, biasCorrection = !wrong) } },
            Mistake("Adadelta with eps dropped from the accumulated update's root", "adadelta", "defaults") { wrong ->
                { plainAdadelta(it, epsInNumerator = !wrong) }
            },
            Mistake("RAdam without sqrt(1 - beta2^t) in its adaptive term", "radam", "defaults") { wrong ->
                { plainRAdam(it, secondBiasCorrection = !wrong) }
            },
            Mistake("Rprop that keeps a gradient whose sign flipped instead of zeroing it", "rprop", "defaults") { wrong ->
                { plainRprop(it, zeroOnFlip = !wrong) }
            },
            Mistake("NAdam as torch 1.13 computes it, with mu_t twice in the next step's momentum product", "nadam", "lr-1e-2") { wrong ->
                { plainNAdam(it, muTwice = wrong) }
            },
            Mistake("ASGD without its decay term w * (1 - lambd * eta)", "asgd", "alpha-1-lambd-0.1-lr-0.05") { wrong ->
                { plainAsgd(it, decay = !wrong) }
            },
            Mistake("AdaBelief with Adam's second moment, of g instead of g - m", "adabelief", "lr-1e-2") { wrong ->
                { plainAdaBelief(it, belief = !wrong) }
            },
            Mistake("Yogi with Adam's second moment, v moved by (1 - beta2)(g^2 - v)", "yogi", "defaults") { wrong ->
                { plainYogi(it, additive = !wrong) }
            },
            Mistake("NovoGrad with Adam's second moment, one per element instead of one per tensor", "novograd", "defaults") { wrong ->
                { plainNovoGrad(it, perTensor = !wrong) }
            },
            Mistake("LAMB without its trust ratio, Adam with MindSpore's rounding", "lamb", "defaults") { wrong ->
                { plainLamb(it, trustRatio = !wrong) }
            },
            Mistake("Prodigy whose distance estimate never grows, Adam on d0 * g stepped by d0", "prodigy", "defaults") { wrong ->
                { plainProdigy(it, estimate = !wrong) }
            },
            Mistake("LARS without its trust ratio, plain Momentum", "lars", "coefficient-0.02") { wrong ->
                { plainLars(it, trustRatio = !wrong) }
            },
            Mistake("Muon without Newton-Schulz, its momentum only normalised", "muon", "defaults") { wrong ->
                { plainMuon(it, orthogonalise = !wrong) }
            },
            Mistake("Adafactor with a full second moment for matrices too, unfactored as for vectors", "adafactor", "defaults") { wrong ->
                { plainAdafactor(it, factored = !wrong) }
            },
            Mistake("AdEMAMix without its slow average, Adam with Optax's rounding", "ademamix", "alpha-8-beta3-0.999") { wrong ->
                { plainAdEMAMix(it, slow = !wrong) }
            },
            Mistake("Adan without the gradient difference, its Nesterov estimate", "adan", "lr-1e-2") { wrong ->
                { plainAdan(it, difference = !wrong) }
            },
            Mistake("FTRL whose linear term drops - sigma * w, the part that carries the weights forward", "ftrl", "defaults") { wrong ->
                { plainFtrl(it, sigmaTerm = !wrong) }
            },
            Mistake("Proximal Adagrad without the l1 shrink of its proximal step", "proximaladagrad", "l1-0.01-lr-0.1") { wrong ->
                { plainProximalAdagrad(it, shrink = !wrong) }
            },
            Mistake("AdamWeightDecay with the decay left out of the update", "adamweightdecay", "weight-decay-0.1-lr-0.01") { wrong ->
                { plainAdamWeightDecay(it, decay = !wrong) }
            },
            Mistake("MindSpore's Adam with use_nesterov ignored, stepping along m", "mindsporeadam", "nesterov") { wrong ->
                { plainMindSporeAdam(it, nesterov = !wrong) }
            },
            Mistake("Schedule-Free AdamW without its average, x the last z, so y steps like RMSprop", "schedulefreeadamw",
                "defaults") { wrong ->
                { plainScheduleFree(it, adaptive = true, lr = 2.5e-3f, average = !wrong, interpolate = true) }
            },
            Mistake("Schedule-Free SGD that takes the gradient at x, without y's interpolation towards z", "schedulefreesgd",
                "lr-0.1") { wrong ->
                { plainScheduleFree(it, adaptive = false, lr = 0.1f, average = true, interpolate = !wrong) }
            },
            Mistake("SparseAdam that updates every row, its moments decaying where the gradient is zero", "sparseadam", "defaults") { wrong ->
                { plainRowSparseAdam(it, lr = 1e-3, weightDecay = 0f, lazy = !wrong) }
            },
            Mistake("LazyAdam that decays and updates every row, as MindSpore's Adam does with a dense gradient", "lazyadam",
                "weight-decay-0.1-untouched-rows-not-decayed") { wrong ->
                { plainRowSparseAdam(it, lr = 1e-2, weightDecay = 0.1f, lazy = !wrong) }
            },
        )) { mistake ->
            val case = GoldenCase.load(mistake.optimizer).first { it.name == mistake.case }
            val right = replay(case, normwise = true, step = mistake.rule(false))
            val wrong = replay(case, normwise = true, step = mistake.rule(true))
            withClue("written right: ${right.where}") { right.relative shouldBeLessThanOrEqual 1e-4 }
            withClue("written wrong: ${wrong.where}") { wrong.relative shouldBeGreaterThan 1e-4 }
        }
    }
})

private fun withClue(clue: String, block: () -> Unit) = io.kotest.assertions.withClue(clue, block)

/** PyTorch's default Adam (lr 1e-3, betas 0.9 and 0.999, eps 1e-8) in plain operations; without bias correction when told. */
private fun plainAdam(arrays: Map<String, NDArray>, biasCorrection: Boolean): () -> Unit {
    val m = arrays.mapValues { it.value.zerosLike() }
    val v = arrays.mapValues { it.value.zerosLike() }
    var t = 0
    return {
        t++
        val c1 = if (biasCorrection) 1 - 0.9.pow(t) else 1.0
        val c2 = if (biasCorrection) 1 - 0.999.pow(t) else 1.0
        for ((name, w) in arrays) {
            val g = w.gradient
            m.getValue(name).muli(0.9f).addi(g.mul(0.1f))
            v.getValue(name).muli(0.999f).addi(g.mul(g).muli(0.001f))
            w.subi(m.getValue(name).mul((1e-3 / c1).toFloat()).divi(v.getValue(name).div(c2.toFloat()).sqrt().addi(1e-8f)))
            g.muli(0)
        }
    }
}

/**
 * SGD with lr 0.01, momentum 0.9 and dampening 0.5. PyTorch's buffer starts as the first gradient;
 * started at zero when told, the first gradient is dampened like the others.
 */
private fun plainSgd(arrays: Map<String, NDArray>, bufferFromZero: Boolean): () -> Unit {
    val buffers = arrays.mapValues { it.value.zerosLike() }
    var t = 0
    return {
        t++
        for ((name, w) in arrays) {
            val g = w.gradient
            val b = buffers.getValue(name)
            if (t == 1 && !bufferFromZero) g.copyTo(b) else b.muli(0.9f).addi(g.mul(0.5f))
            w.subi(b.mul(0.01f))
            g.muli(0)
        }
    }
}

/** Lion with its defaults (lr 1e-4, betas 0.9 and 0.99); when told, the sign of the momentum updated with beta2 first. */
private fun plainLion(arrays: Map<String, NDArray>, signOfUpdated: Boolean): () -> Unit {
    val m = arrays.mapValues { it.value.zerosLike() }
    return {
        for ((name, w) in arrays) {
            val g = w.gradient
            val momentum = m.getValue(name)
            if (signOfUpdated) {
                momentum.muli(0.99f).addi(g.mul(0.01f))
                w.subi(momentum.sign().muli(1e-4f))
            } else {
                w.subi(momentum.mul(0.9f).addi(g.mul(0.1f)).sign().muli(1e-4f))
                momentum.muli(0.99f).addi(g.mul(0.01f))
            }
            g.muli(0)
        }
    }
}

/** RMSprop with lr 0.01, alpha 0.99 and eps 1e-3; when told, dividing by sqrt(v + eps) instead of sqrt(v) + eps. */
private fun plainRmsProp(arrays: Map<String, NDArray>, epsInsideRoot: Boolean): () -> Unit {
    val v = arrays.mapValues { it.value.zerosLike() }
    return {
        for ((name, w) in arrays) {
            val g = w.gradient
            val avg = v.getValue(name).muli(0.99f).addi(g.mul(g).muli(0.01f))
            w.subi(g.mul(0.01f).divi(if (epsInsideRoot) avg.add(1e-3f).sqrt() else avg.sqrt().addi(1e-3f)))
            g.muli(0)
        }
    }
}

/** Adagrad with lr 0.01 and eps 1e-10, its sum starting at [initial]. */
private fun plainAdagrad(arrays: Map<String, NDArray>, initial: Float): () -> Unit {
    val sums = arrays.mapValues { it.value.zerosLike().addi(initial) }
    return {
        for ((name, w) in arrays) {
            val g = w.gradient
            sums.getValue(name).addi(g.mul(g))
            w.subi(g.mul(0.01f).divi(sums.getValue(name).sqrt().addi(1e-10f)))
            g.muli(0)
        }
    }
}

/** PyTorch's default Adamax (lr 2e-3, betas 0.9 and 0.999, eps 1e-8); without bias correction when told. */
private fun plainAdamax(arrays: Map<String, NDArray>, biasCorrection: Boolean): () -> Unit {
    val m = arrays.mapValues { it.value.zerosLike() }
    val u = arrays.mapValues { it.value.zerosLike() }
    var t = 0
    return {
        t++
        val lr = if (biasCorrection) 2e-3 / (1 - 0.9.pow(t)) else 2e-3
        for ((name, w) in arrays) {
            val g = w.gradient
            m.getValue(name).muli(0.9f).addi(g.mul(0.1f))
            u.getValue(name).muli(0.999f).maximum(g.abs().addi(1e-8f)).copyTo(u.getValue(name))
            w.subi(m.getValue(name).mul(lr.toFloat()).divi(u.getValue(name)))
            g.muli(0)
        }
    }
}

/** PyTorch's default Adadelta (lr 1, rho 0.9, eps 1e-6); when told, sqrt(a) instead of sqrt(a + eps), which never moves. */
private fun plainAdadelta(arrays: Map<String, NDArray>, epsInNumerator: Boolean): () -> Unit {
    val v = arrays.mapValues { it.value.zerosLike() }
    val a = arrays.mapValues { it.value.zerosLike() }
    return {
        for ((name, w) in arrays) {
            val g = w.gradient
            v.getValue(name).muli(0.9f).addi(g.mul(g).muli(0.1f))
            val numerator = if (epsInNumerator) a.getValue(name).add(1e-6f) else a.getValue(name)
            val delta = numerator.sqrt().divi(v.getValue(name).add(1e-6f).sqrt()).muli(g)
            a.getValue(name).muli(0.9f).addi(delta.mul(delta).muli(0.1f))
            w.subi(delta)
            g.muli(0)
        }
    }
}

/** PyTorch's default Rprop (lr 0.01, etas 0.5 and 1.2, step sizes 1e-6 and 50); when told, a flipped gradient is kept. */
private fun plainRprop(arrays: Map<String, NDArray>, zeroOnFlip: Boolean): () -> Unit {
    val prev = arrays.mapValues { it.value.zerosLike() }
    val steps = arrays.mapValues { it.value.zerosLike().addi(0.01f) }
    return {
        for ((name, w) in arrays) {
            val g = w.gradient
            val sign = g.mul(prev.getValue(name)).sign()
            val factor = sign.gt(0).toType(DataType.FLOAT32, false).muli(1.2f)
                .addi(sign.lt(0).toType(DataType.FLOAT32, false).muli(0.5f))
                .addi(sign.eq(0).toType(DataType.FLOAT32, false))
            val step = steps.getValue(name)
            step.muli(factor).clip(1e-6f, 50f).copyTo(step)
            val kept = if (zeroOnFlip) g.mul(sign.gte(0).toType(DataType.FLOAT32, false)) else g.duplicate()
            w.subi(kept.sign().muli(step))
            kept.copyTo(prev.getValue(name))
            g.muli(0)
        }
    }
}

/** PyTorch's default RAdam (lr 1e-3, betas 0.9 and 0.999, eps 1e-8); when told, without sqrt(1 - beta2^t). */
private fun plainRAdam(arrays: Map<String, NDArray>, secondBiasCorrection: Boolean): () -> Unit {
    val m = arrays.mapValues { it.value.zerosLike() }
    val v = arrays.mapValues { it.value.zerosLike() }
    var t = 0
    return {
        t++
        val bias2 = 1 - 0.999.pow(t)
        val rhoInf = 2 / (1 - 0.999) - 1
        val rho = rhoInf - 2 * t * 0.999.pow(t) / bias2
        for ((name, w) in arrays) {
            val g = w.gradient
            m.getValue(name).muli(0.9f).addi(g.mul(0.1f))
            v.getValue(name).muli(0.999f).addi(g.mul(g).muli(0.001f))
            val mHat = m.getValue(name).div((1 - 0.9.pow(t)).toFloat())
            if (rho > 5) {
                val rect = kotlin.math.sqrt((rho - 4) * (rho - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rho))
                val correction = if (secondBiasCorrection) kotlin.math.sqrt(bias2) else 1.0
                w.subi(mHat.muli((1e-3 * rect * correction).toFloat()).divi(v.getValue(name).sqrt().addi(1e-8f)))
            } else {
                w.subi(mHat.muli(1e-3f))
            }
            g.muli(0)
        }
    }
}

/**
 * torch 2.x's NAdam with lr 1e-2 and its other defaults (betas 0.9 and 0.999, eps 1e-8, momentum decay 0.004); when
 * told, the next step's momentum product counts mu_t twice, as torch 1.13's NAdam does.
 */
private fun plainNAdam(arrays: Map<String, NDArray>, muTwice: Boolean): () -> Unit {
    val m = arrays.mapValues { it.value.zerosLike() }
    val v = arrays.mapValues { it.value.zerosLike() }
    var t = 0
    var product = 1.0
    return {
        t++
        val mu = 0.9 * (1 - 0.5 * 0.96.pow(t * 0.004))
        val muNext = 0.9 * (1 - 0.5 * 0.96.pow((t + 1) * 0.004))
        product *= mu
        val productNext = if (muTwice) product * mu * muNext else product * muNext
        for ((name, w) in arrays) {
            val g = w.gradient
            m.getValue(name).muli(0.9f).addi(g.mul(0.1f))
            v.getValue(name).muli(0.999f).addi(g.mul(g).muli(0.001f))
            val denom = v.getValue(name).div((1 - 0.999.pow(t)).toFloat()).sqrt().addi(1e-8f)
            w.subi(g.mul((1e-2 * (1 - mu) / (1 - product)).toFloat()).divi(denom))
            w.subi(m.getValue(name).mul((1e-2 * muNext / (1 - productNext)).toFloat()).divi(denom))
            g.muli(0)
        }
    }
}

/** ASGD with lr 0.05, lambd 0.1 and alpha 1 (t0 far away); without the decay term when told. */
private fun plainAsgd(arrays: Map<String, NDArray>, decay: Boolean): () -> Unit {
    var t = 0
    var eta = 0.05
    return {
        t++
        for ((_, w) in arrays) {
            val g = w.gradient
            if (decay) {
                w.muli((1 - 0.1 * eta).toFloat())
            }
            w.subi(g.mul(eta.toFloat()))
            g.muli(0)
        }
        eta = 0.05 / (1 + 0.1 * 0.05 * t)
    }
}

/** Optax's AdaBelief with lr 1e-2 and its defaults (betas 0.9 and 0.999, eps and epsRoot 1e-16); Adam's second moment when told. */
private fun plainAdaBelief(arrays: Map<String, NDArray>, belief: Boolean): () -> Unit {
    val m = arrays.mapValues { it.value.zerosLike() }
    val s = arrays.mapValues { it.value.zerosLike() }
    var t = 0
    return {
        t++
        for ((name, w) in arrays) {
            val g = w.gradient
            m.getValue(name).muli(0.9f).addi(g.mul(0.1f))
            val e = if (belief) g.sub(m.getValue(name)) else g
            s.getValue(name).muli(0.999f).addi(e.mul(e).muli(0.001f)).addi(1e-16f)
            val denom = s.getValue(name).div((1 - 0.999.pow(t)).toFloat()).sqrt().addi(1e-16f)
            w.subi(m.getValue(name).div((1 - 0.9.pow(t)).toFloat()).divi(denom).muli(1e-2f))
            g.muli(0)
        }
    }
}

/** Optax's Yogi with its defaults (lr 0.01, betas 0.9 and 0.999, eps 1e-3, both moments from 1e-6); Adam's second moment when told. */
private fun plainYogi(arrays: Map<String, NDArray>, additive: Boolean): () -> Unit {
    val m = arrays.mapValues { it.value.zerosLike().addi(1e-6f) }
    val v = arrays.mapValues { it.value.zerosLike().addi(1e-6f) }
    var t = 0
    return {
        t++
        for ((name, w) in arrays) {
            val g = w.gradient
            val square = g.mul(g)
            m.getValue(name).muli(0.9f).addi(g.mul(0.1f))
            val vs = v.getValue(name)
            if (additive) vs.subi(vs.sub(square).sign().muli(0.001f).muli(square)) else vs.muli(0.999f).addi(square.mul(0.001f))
            val denom = vs.div((1 - 0.999.pow(t)).toFloat()).sqrt().addi(1e-3f)
            w.subi(m.getValue(name).div((1 - 0.9.pow(t)).toFloat()).divi(denom).muli(1e-2f))
            g.muli(0)
        }
    }
}

/**
 * Optax's NovoGrad with its defaults (lr 0.01, betas 0.9 and 0.25, eps 1e-6, no decay): the second
 * moment of each tensor's squared norm; of each element's square when told.
 */
private fun plainNovoGrad(arrays: Map<String, NDArray>, perTensor: Boolean): () -> Unit {
    val m = arrays.mapValues { it.value.zerosLike() }
    val v = mutableMapOf<String, NDArray>()
    var t = 0
    return {
        t++
        for ((name, w) in arrays) {
            val g = w.gradient
            val square = if (perTensor) g.mul(g).sum() else g.mul(g)
            val moment = if (t == 1) square else v.getValue(name).mul(0.25f).addi(square.mul(0.75f))
            v[name] = moment
            val update = g.div(moment.sqrt().addi(1e-6f))
            val ms = m.getValue(name)
            if (t == 1) update.copyTo(ms) else ms.muli(0.9f).addi(update)
            w.subi(ms.mul(0.01f))
            g.muli(0)
        }
    }
}

/**
 * MindSpore's LAMB with lr 1e-3, betas 0.9 and 0.999, eps 1e-6 and no decay: each tensor's step
 * scaled by its trust ratio ||w|| / ||mh / sqrt(vh + eps)||, clipped to 10; by 1 when told.
 */
private fun plainLamb(arrays: Map<String, NDArray>, trustRatio: Boolean): () -> Unit {
    val m = arrays.mapValues { it.value.zerosLike() }
    val v = arrays.mapValues { it.value.zerosLike() }
    var t = 0
    return {
        t++
        for ((name, w) in arrays) {
            val g = w.gradient
            val mh = m.getValue(name).muli(0.9f).addi(g.mul(0.1f)).div((1 - 0.9.pow(t)).toFloat())
            val vh = v.getValue(name).muli(0.999f).addi(g.mul(g).muli(0.001f)).div((1 - 0.999.pow(t)).toFloat())
            var ratio = 1f
            if (trustRatio) {
                val weightNorm = w.square().sum().sqrt().getFloat()
                val gradNorm = g.square().sum().sqrt().getFloat()
                val updateNorm = mh.div(vh.add(1e-6f).sqrt()).square().sum().sqrt().getFloat()
                if (weightNorm > 0 && gradNorm > 0) ratio = (weightNorm / updateNorm).coerceIn(0f, 10f)
            }
            w.subi(mh.div(vh.sqrt().addi(1e-6f)).muli(ratio * 1e-3f))
            g.muli(0)
        }
    }
}

/**
 * Optax's Prodigy with its defaults (lr 1, betas 0.9 and 0.999, beta3 sqrt(0.999), eps 1e-8, d0
 * 1e-6): Adam on d * g, stepped by d * sqrt(1 - beta2^t) / (1 - beta1^t), where d grows to the
 * weighted correlation of the gradients with the distance travelled, r / sum |s|; d stays at d0
 * when told.
 */
private fun plainProdigy(arrays: Map<String, NDArray>, estimate: Boolean): () -> Unit {
    val m = arrays.mapValues { it.value.zerosLike() }
    val v = arrays.mapValues { it.value.zerosLike() }
    val s = arrays.mapValues { it.value.zerosLike() }
    val start = arrays.mapValues { it.value.duplicate() }
    val beta3 = sqrt(0.999)
    var d = 1e-6
    var r = 0.0
    var t = 0
    return {
        t++
        val dlr = d * sqrt(1 - 0.999.pow(t)) / (1 - 0.9.pow(t))
        var travelled = 0.0
        var sums = 0.0
        for ((name, w) in arrays) {
            val g = w.gradient
            travelled += g.mul(start.getValue(name).sub(w)).sum().getFloat()
            sums += s.getValue(name).muli(beta3.toFloat()).addi(g.mul((dlr * d / 1e-6).toFloat())).abs().sum().getFloat()
        }
        r = beta3 * r + d / 1e-6 * dlr * travelled
        val next = if (estimate && sums > 0) max(d, r / sums) else d
        for ((name, w) in arrays) {
            val g = w.gradient
            m.getValue(name).muli(0.9f).addi(g.mul((0.1 * d).toFloat()))
            v.getValue(name).muli(0.999f).addi(g.mul(g).muli((0.001 * d * d).toFloat()))
            w.subi(m.getValue(name).mul(dlr.toFloat()).divi(v.getValue(name).sqrt().addi((next * 1e-8).toFloat())))
            g.muli(0)
        }
        d = next
    }
}

/**
 * MindSpore's LARS around its Momentum with lr 0.1, momentum 0.9, coefficient 0.02, eps 1e-5 and no
 * decay: each tensor's gradient scaled by coefficient * ||w|| / (||g|| + eps); by 1 when told.
 */
private fun plainLars(arrays: Map<String, NDArray>, trustRatio: Boolean): () -> Unit {
    val accumulators = arrays.mapValues { it.value.zerosLike() }
    return {
        for ((name, w) in arrays) {
            val g = w.gradient
            val weightNorm = w.square().sum().sqrt().getFloat()
            val gradNorm = g.square().sum().sqrt().getFloat()
            val ratio = if (trustRatio && weightNorm > 0 && gradNorm > 0) 0.02f * weightNorm / (gradNorm + 1e-5f) else 1f
            val a = accumulators.getValue(name).muli(0.9f).addi(g.mul(ratio))
            w.subi(a.mul(0.1f))
            g.muli(0)
        }
    }
}

/**
 * PyTorch's Muon with its defaults (lr 1e-3, weight decay 0.1, momentum 0.95, Nesterov, 5 steps of
 * (3.4445, -4.775, 2.0315)), the iteration in float32 with each product rounded to bfloat16's 8
 * bits; without the iteration (the momentum only normalised) when told.
 */
private fun plainMuon(arrays: Map<String, NDArray>, orthogonalise: Boolean): () -> Unit {
    val buffers = arrays.mapValues { it.value.zerosLike() }
    fun bf16(x: NDArray): NDArray = x.mul(65537f).let { t -> t.sub(t.sub(x)) }
    return {
        for ((name, w) in arrays) {
            val g = w.gradient
            val b = buffers.getValue(name).let { it.addi(g.sub(it).muli(0.05f)) }
            val u = g.add(b.sub(g).muli(0.95f))
            val tall = w.shape[0] > w.shape[1]
            var x = bf16(if (tall) u.transpose() else u)
            x = bf16(x.div(bf16(x.square().sum().sqrt())))
            if (orthogonalise) {
                repeat(5) {
                    val gram = bf16(x.matMul(x.transpose()))
                    val poly = bf16(gram.matMul(gram).muli(2.0315f).addi(gram.mul(-4.775f)))
                    x = bf16(poly.matMul(x).addi(x.mul(3.4445f)))
                }
            }
            if (tall) x = x.transpose()
            val ratio = kotlin.math.sqrt(maxOf(1.0, w.shape[0].toDouble() / w.shape[1])).toFloat()
            w.muli(1f - 1e-3f * 0.1f).subi(x.muli(1e-3f * ratio))
            g.muli(0)
        }
    }
}

/**
 * PyTorch's Adafactor with its defaults (lr 0.01, beta2Decay -0.8, eps1 float32's epsilon, eps2
 * 1e-3, d 1): a matrix's second moment per row and per column; per element for every tensor when told.
 */
private fun plainAdafactor(arrays: Map<String, NDArray>, factored: Boolean): () -> Unit {
    val rows = mutableMapOf<String, NDArray>()
    val cols = mutableMapOf<String, NDArray>()
    val full = mutableMapOf<String, NDArray>()
    val eps1 = Math.ulp(1f)
    var t = 0
    return {
        t++
        val beta = t.toDouble().pow(-0.8).toFloat()
        val rho = minOf(1e-2, 1 / kotlin.math.sqrt(t.toDouble()))
        for ((name, w) in arrays) {
            val g = w.gradient
            val n = w.size().toDouble()
            val alpha = maxOf(1e-3, kotlin.math.sqrt(w.square().sum().getFloat() / n)) * rho
            val rank = w.shape.dimension()
            val v = if (factored && rank >= 2) {
                val rowMean = g.square().sum(intArrayOf(rank - 1), true).div(w.shape[rank - 1].toFloat())
                val colMean = g.square().sum(intArrayOf(rank - 2), true).div(w.shape[rank - 2].toFloat())
                val r = rows.getOrPut(name) { rowMean.zerosLike() }.let { it.addi(rowMean.sub(it).muli(beta)) }
                val c = cols.getOrPut(name) { colMean.zerosLike() }.let { it.addi(colMean.sub(it).muli(beta)) }
                r.matMul(c).div(r.mean(intArrayOf(rank - 2), true).maximum(eps1))
            } else {
                val square = g.square()
                full.getOrPut(name) { g.zerosLike() }.let { it.addi(square.sub(it).muli(beta)) }.duplicate()
            }
            val u = g.div(v.maximum(eps1 * eps1).sqrt())
            val scale = maxOf(1.0, kotlin.math.sqrt(u.square().sum().getFloat() / n))
            w.subi(u.muli((alpha / scale).toFloat()))
            g.muli(0)
        }
    }
}

/** MindSpore's FTRL with its defaults (lr 1e-3, lrPower -0.5, accumulators from 0.1, no l1 or l2); without - sigma * w when told. */
private fun plainFtrl(arrays: Map<String, NDArray>, sigmaTerm: Boolean): () -> Unit {
    val accum = arrays.mapValues { it.value.zerosLike().addi(0.1f) }
    val linear = arrays.mapValues { it.value.zerosLike() }
    return {
        for ((name, w) in arrays) {
            val g = w.gradient
            val a = accum.getValue(name)
            val l = linear.getValue(name)
            val next = a.add(g.mul(g))
            l.addi(g)
            if (sigmaTerm) l.subi(next.sqrt().subi(a.sqrt()).divi(1e-3f).muli(w))
            w.muli(0).subi(l.div(next.sqrt().divi(1e-3f)))
            a.muli(0).addi(next)
            g.muli(0)
        }
    }
}

/** MindSpore's Proximal Adagrad with lr 0.1, l1 0.01 and its other defaults (accumulators from 0.1, no l2); without the l1 shrink when told. */
private fun plainProximalAdagrad(arrays: Map<String, NDArray>, shrink: Boolean): () -> Unit {
    val accum = arrays.mapValues { it.value.zerosLike().addi(0.1f) }
    return {
        for ((name, w) in arrays) {
            val g = w.gradient
            val a = accum.getValue(name).addi(g.mul(g))
            val prox = w.sub(g.mul(0.1f).divi(a.sqrt()))
            w.muli(0).addi(if (shrink) prox.sign().muli(prox.abs().subi(1e-3f).maximum(0f)) else prox)
            g.muli(0)
        }
    }
}

/** MindSpore's AdamWeightDecay with lr 0.01, weight decay 0.1 and its other defaults (betas 0.9 and 0.999, eps 1e-6); no decay when told. */
private fun plainAdamWeightDecay(arrays: Map<String, NDArray>, decay: Boolean): () -> Unit {
    val m = arrays.mapValues { it.value.zerosLike() }
    val v = arrays.mapValues { it.value.zerosLike() }
    return {
        for ((name, w) in arrays) {
            val g = w.gradient
            m.getValue(name).muli(0.9f).addi(g.mul(0.1f))
            v.getValue(name).muli(0.999f).addi(g.mul(g).muli(0.001f))
            val update = m.getValue(name).div(v.getValue(name).sqrt().addi(1e-6f))
            if (decay) update.addi(w.mul(0.1f))
            w.subi(update.muli(0.01f))
            g.muli(0)
        }
    }
}

/** MindSpore's Adam with use_nesterov and its defaults (lr 1e-3, betas 0.9 and 0.999, eps 1e-8); along m when told. */
private fun plainMindSporeAdam(arrays: Map<String, NDArray>, nesterov: Boolean): () -> Unit {
    val m = arrays.mapValues { it.value.zerosLike() }
    val v = arrays.mapValues { it.value.zerosLike() }
    var t = 0
    return {
        t++
        val stepSize = (1e-3 * kotlin.math.sqrt(1 - 0.999.pow(t)) / (1 - 0.9.pow(t))).toFloat()
        for ((name, w) in arrays) {
            val g = w.gradient
            m.getValue(name).muli(0.9f).addi(g.mul(0.1f))
            v.getValue(name).muli(0.999f).addi(g.mul(g).muli(0.001f))
            val direction = if (nesterov) m.getValue(name).mul(0.9f).addi(g.mul(0.1f)) else m.getValue(name)
            w.subi(direction.div(v.getValue(name).sqrt().addi(1e-8f)).muli(stepSize))
            g.muli(0)
        }
    }
}

/**
 * Optax's Schedule-Free AdamW (or SGD) with beta1 0.9 (beta2 0.999, eps 1e-8) and a constant lr,
 * so that x is the plain mean of the z so far, c = 1 / t; x is the last z without [average], and
 * y is x without [interpolate].
 */
private fun plainScheduleFree(arrays: Map<String, NDArray>, adaptive: Boolean, lr: Float, average: Boolean,
                              interpolate: Boolean): () -> Unit {
    val z = arrays.mapValues { it.value.duplicate() }
    val v = arrays.mapValues { it.value.zerosLike() }
    var t = 0
    return {
        t++
        val c = if (average) 1f / t else 1f
        for ((name, y) in arrays) {
            val g = y.gradient
            val u = if (adaptive) {
                v.getValue(name).muli(0.999f).addi(g.mul(g).muli(0.001f))
                g.div(v.getValue(name).div((1 - 0.999.pow(t)).toFloat()).sqrt().addi(1e-8f))
            } else g.duplicate()
            val next = z.getValue(name).sub(u.muli(lr))
            val x = y.sub(z.getValue(name).mul(0.1f)).divi(0.9f)
            x.muli(1 - c).addi(next.mul(c))
            y.set(NDIndex("..."), if (interpolate) x.mul(0.9f).addi(next.mul(0.1f)) else x)
            z.getValue(name).set(NDIndex("..."), next)
            g.muli(0)
        }
    }
}

/** Where each row of `g` (along the first dimension; a vector's elements) is not all zero, element by element. */
private fun touchedRows(g: NDArray): NDArray {
    if (g.shape.dimension() < 2) return g.neq(0f)
    val rows = g.reshape(g.shape[0], -1).neq(0f).sum(intArrayOf(1), true).gt(0)
    return rows.broadcast(g.shape[0], g.shape.size() / g.shape[0]).reshape(g.shape)
}

/**
 * Adam with its corrections in the step size, betas 0.9 and 0.999 and eps 1e-8, as SparseAdam and
 * LazyAdam compute it, after L2 decay; on every row, untouched ones included, unless [lazy]
 * (decided on the gradient before the decay).
 */
private fun plainRowSparseAdam(arrays: Map<String, NDArray>, lr: Double, weightDecay: Float, lazy: Boolean): () -> Unit {
    val m = arrays.mapValues { it.value.zerosLike() }
    val v = arrays.mapValues { it.value.zerosLike() }
    var t = 0
    return {
        t++
        val stepSize = (lr * kotlin.math.sqrt(1 - 0.999.pow(t)) / (1 - 0.9.pow(t))).toFloat()
        for ((name, w) in arrays) {
            val raw = w.gradient
            val rows = if (lazy) touchedRows(raw) else raw.onesLike().gt(0f)
            val g = raw.add(w.mul(weightDecay))
            val newM = m.getValue(name).mul(0.9f).addi(g.mul(0.1f))
            val newV = v.getValue(name).mul(0.999f).addi(g.mul(g).muli(0.001f))
            val newW = w.sub(newM.div(newV.sqrt().addi(1e-8f)).muli(stepSize))
            m.getValue(name).set(NDIndex("..."), NDArrays.where(rows, newM, m.getValue(name)))
            v.getValue(name).set(NDIndex("..."), NDArrays.where(rows, newV, v.getValue(name)))
            w.set(NDIndex("..."), NDArrays.where(rows, newW, w))
            raw.muli(0)
        }
    }
}

/** Optax's Adan with lr 1e-2 and its defaults (betas 0.98, 0.92 and 0.99, eps and epsRoot 1e-8); without g - g_prev when told. */
private fun plainAdan(arrays: Map<String, NDArray>, difference: Boolean): () -> Unit {
    val m = arrays.mapValues { it.value.zerosLike() }
    val v = arrays.mapValues { it.value.zerosLike() }
    val n = arrays.mapValues { it.value.zerosLike() }
    val prev = arrays.mapValues { it.value.zerosLike() }
    var t = 0
    return {
        t++
        for ((name, w) in arrays) {
            val g = w.gradient
            val d = if (difference && t > 1) g.sub(prev.getValue(name)) else g.zerosLike()
            m.getValue(name).muli(0.98f).addi(g.mul(0.02f))
            v.getValue(name).muli(0.92f).addi(d.mul(0.08f))
            val ahead = g.add(d.mul(0.08f))
            n.getValue(name).muli(0.99f).addi(ahead.mul(ahead).muli(0.01f))
            val u = m.getValue(name).div((1 - 0.98.pow(t)).toFloat())
                .addi(v.getValue(name).div((1 - 0.92.pow(t)).toFloat()).muli(0.08f))
            val denom = n.getValue(name).div((1 - 0.99.pow(t)).toFloat()).addi(1e-8f).sqrt().addi(1e-8f)
            w.subi(u.divi(denom).muli(1e-2f))
            prev.getValue(name).muli(0).addi(g)
            g.muli(0)
        }
    }
}

/** Optax's AdEMAMix with lr 1e-3, alpha 8, beta3 0.999 and its other defaults (betas 0.9 and 0.999, eps 1e-8); without the slow average when told. */
private fun plainAdEMAMix(arrays: Map<String, NDArray>, slow: Boolean): () -> Unit {
    val fast = arrays.mapValues { it.value.zerosLike() }
    val slowAverage = arrays.mapValues { it.value.zerosLike() }
    val nu = arrays.mapValues { it.value.zerosLike() }
    var t = 0
    return {
        t++
        for ((name, w) in arrays) {
            val g = w.gradient
            fast.getValue(name).muli(0.9f).addi(g.mul(0.1f))
            slowAverage.getValue(name).muli(0.999f).addi(g.mul(0.001f))
            nu.getValue(name).muli(0.999f).addi(g.mul(g).muli(0.001f))
            val u = fast.getValue(name).div((1 - 0.9.pow(t)).toFloat())
            if (slow) u.addi(slowAverage.getValue(name).mul(8f))
            val denom = nu.getValue(name).div((1 - 0.999.pow(t)).toFloat()).sqrt().addi(1e-8f)
            w.subi(u.divi(denom).muli(1e-3f))
            g.muli(0)
        }
    }
}
