package dev.anneal.internal

import ai.djl.ndarray.NDManager
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe

/**
 * The generic path's multiply-adds against Java's `Math.fma`, which rounds once as PyTorch's CPU
 * kernels do, where a float64 sum alone would round twice: host arrays take `Math.fma` itself,
 * other devices the array operations (`addScaledOnDevice`), which run here on the CPU's arrays.
 */
class FusedOpsSpec : FunSpec({
    val manager = NDManager.newBaseManager()
    afterSpec { manager.close() }

    // (1 + 2^-12)^2 = 1 + 2^-11 + 2^-24 is halfway between two floats; a tiny addend decides the
    // side, but is lost in the float64 sum, whose tie then rounds to the even neighbour.
    val b = 1f + Math.scalb(1f, -12)
    val addends = floatArrayOf(Math.scalb(1f, -80), -Math.scalb(1f, -80), 0f, 1e-3f, -3f, Math.scalb(1f, -30))

    test("a + s * b is rounded once, ties that float64 hides included, on the host and in array operations") {
        val a = manager.create(addends)
        val bs = manager.create(FloatArray(addends.size) { b })
        for (got in listOf(FusedOps.addScaled(a, bs, b.toDouble()), FusedOps.addScaledOnDevice(a, bs, b.toDouble()))) {
            got.toFloatArray().map { it.toRawBits() } shouldBe addends.map { Math.fma(b, b, it).toRawBits() }
        }
    }

    test("v + t1 * t2 in array operations is rounded once, ties that float64 hides included") {
        val bs = manager.create(FloatArray(addends.size) { b })
        FusedOps.addScaledOnDevice(manager.create(addends), bs, bs).toFloatArray().map { it.toRawBits() } shouldBe
            addends.map { Math.fma(b, b, it).toRawBits() }
    }

    test("a float16 b is taken exactly on the host, as a float64 b is by the array operations") {
        val a = manager.create(addends)
        val half = manager.create(FloatArray(addends.size) { 1.5f }).toType(ai.djl.ndarray.types.DataType.FLOAT16, false)
        FusedOps.addScaled(a, half, b.toDouble()).toFloatArray().map { it.toRawBits() } shouldBe
            FusedOps.addScaledOnDevice(a, half, b.toDouble()).toFloatArray().map { it.toRawBits() }
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
            val bs = manager.create(FloatArray(a.size) { sign * b })
            for (got in listOf(FusedOps.addScaled(manager.create(a), bs, s.toDouble()), FusedOps.addScaledOnDevice(manager.create(a), bs, s.toDouble()))) {
                got.toFloatArray().map { it.toRawBits() } shouldBe a.map { Math.fma(sign * b, s, it).toRawBits() }
            }
        }
    }
})
