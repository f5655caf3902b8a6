package dev.anneal.internal

import ai.djl.ndarray.NDManager
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe

/**
 * The generic path's multiply-adds against Java's `Math.fma`, which rounds once as PyTorch's CPU
 * kernels do, where a float64 sum alone would round twice.
 */
class FusedOpsSpec : FunSpec({
    val manager = NDManager.newBaseManager()
    afterSpec { manager.close() }

    // (1 + 2^-12)^2 = 1 + 2^-11 + 2^-24 is halfway between two floats; a tiny addend decides the
    // side, but is lost in the float64 sum, whose tie then rounds to the even neighbour.
    val b = 1f + Math.scalb(1f, -12)
    val addends = floatArrayOf(Math.scalb(1f, -80), -Math.scalb(1f, -80), 0f, 1e-3f, -3f, Math.scalb(1f, -30))

    test("a + s * b is rounded once, ties that float64 hides included") {
        val a = manager.create(addends)
        val got = FusedOps.addScaled(a, manager.create(FloatArray(addends.size) { b }), b.toDouble()).toFloatArray()
        got.map { it.toRawBits() } shouldBe addends.map { Math.fma(b, b, it).toRawBits() }
    }

    test("v + (s * t1) * t2 is rounded once, ties that float64 hides included") {
        val v = manager.create(addends)
        FusedOps.addProductInPlace(v, manager.create(FloatArray(addends.size) { b }), manager.create(FloatArray(addends.size) { b }), 1.0)
        v.toFloatArray().map { it.toRawBits() } shouldBe addends.map { Math.fma(b, b, it).toRawBits() }
    }

    // 18631 * 2^50 * 1801 * 2^53 = 2^128 - 2^103, halfway between the largest float and infinity:
    // an addend below zero brings the exact sum back under it, one above takes it to infinity.
    test("a + s * b is rounded once at float32's overflow threshold, both signs") {
        val b = 18631f * Math.scalb(1f, 50)
        val s = 1801f * Math.scalb(1f, 53)
        for (sign in listOf(1f, -1f)) {
            val a = floatArrayOf(-1f, 1f, 0f, -Math.scalb(1f, 100), 1e30f)
            val got = FusedOps.addScaled(manager.create(a), manager.create(FloatArray(a.size) { sign * b }), s.toDouble()).toFloatArray()
            got.map { it.toRawBits() } shouldBe a.map { Math.fma(sign * b, s, it).toRawBits() }
        }
    }
})
