package dev.anneal.bench

import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.doubles.shouldBeGreaterThan
import io.kotest.matchers.shouldBe

class RowSpec : FunSpec({
    test("a row keeps the median, the minimum and the maximum of its samples") {
        Row.of("adam", "1x10", "anneal-fast", doubleArrayOf(5.0, 1.0, 3.0)) shouldBe
            Row("adam", "1x10", "anneal-fast", 3.0, 1.0, 5.0)
        Row.of("adam", "1x10", "djl", doubleArrayOf(4.0, 1.0, 2.0, 8.0)).medianMs() shouldBe 3.0
    }

    test("layouts are named as the JSON names them") {
        listOf(Layout.ONE_BIG, Layout.MEDIUM, Layout.MANY_SMALL).map { it.label() } shouldBe
            listOf("1x10000000", "1000x10000", "10000x100")
        Layout.matrices(1, 1024, 1024).label() shouldBe "1x1024x1024"
    }

    test("the copy bandwidth is a positive figure") {
        CopyBandwidth.measure(1 shl 20, 3) shouldBeGreaterThan 0.0
    }
})
