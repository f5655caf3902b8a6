package dev.anneal.config

import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe

class ShownSpec : FunSpec({
    test("a figure has four significant digits between 0.001 and 10,000 and two in scientific notation outside") {
        listOf(0.0, 0.01, 0.001, 0.41234, 2.302585, 1234.56, 9999.4, 12345.6, 3.2e-5, 0.00099951, -0.5, Double.NaN,
            Double.NEGATIVE_INFINITY).map { Shown.figure(it) } shouldBe
            listOf("0", "0.01", "0.001", "0.4123", "2.303", "1235", "9999", "1.2e+04", "3.2e-05", "1.0e-03", "-0.5", "NaN",
                "-Infinity")
    }

    test("a value in a message is quoted, escaped and cut") {
        Shown.quoted("a\"b\n") shouldBe "\"a\\\"b\\n\""
        Shown.quoted("9".repeat(120_000)) shouldBe "\"" + "9".repeat(Shown.MOST) + "...\" (120000 characters)"
    }
})
