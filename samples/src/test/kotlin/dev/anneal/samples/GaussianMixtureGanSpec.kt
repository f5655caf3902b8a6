package dev.anneal.samples

import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.doubles.shouldBeGreaterThan
import io.kotest.matchers.doubles.shouldBeLessThan
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import java.io.ByteArrayOutputStream
import java.io.PrintStream
import io.kotest.matchers.doubles.plusOrMinus
import kotlin.math.ln

class GaussianMixtureGanSpec : FunSpec({
    fun quiet() = PrintStream(ByteArrayOutputStream(), true)

    fun moved(report: GaussianMixtureGan.Report): Set<String> =
        report.before.keys.filter { !report.before[it]!!.contentEquals(report.after[it]!!) }.toSet()

    test("the discriminator's optimizer moves only the discriminator, the generator's only the generator") {
        val onlyDiscriminator = GaussianMixtureGan(seed = 1, epochs = 1, out = quiet(), generatorLr = 0.0).run()
        val onlyGenerator = GaussianMixtureGan(seed = 1, epochs = 1, out = quiet(), discriminatorLr = 0.0).run()
        val names = onlyDiscriminator.before.keys
        val discriminator = names.filter { "discriminator" in it }.toSet()
        val generator = names.filter { "generator" in it }.toSet()
        discriminator.size shouldBe 6
        generator.size shouldBe 6
        moved(onlyDiscriminator) shouldBe discriminator
        moved(onlyGenerator) shouldBe generator
        moved(GaussianMixtureGan(seed = 1, epochs = 1, out = quiet()).run()) shouldBe names
    }

    test("the losses head for the equilibrium and the generator learns both modes") {
        val report = GaussianMixtureGan(seed = 42, epochs = 40, out = quiet()).run()
        // At equilibrium the discriminator cannot tell: its loss is 2 ln 2, the generator's ln 2.
        report.discriminatorLoss.first() shouldBeGreaterThan 1.6
        report.discriminatorLoss.last() shouldBe (2 * ln(2.0)).plusOrMinus(0.15)
        report.generatorLoss.first() shouldBeLessThan 0.62
        report.generatorLoss.last() shouldBe ln(2.0).plusOrMinus(0.15)
        // The data: mean 0, standard deviation sqrt(4 + 0.25) = 2.06, half near each mode.
        report.std shouldBe 2.06.plusOrMinus(0.5)
        report.near(-2.0) shouldBeGreaterThan 0.25
        report.near(2.0) shouldBeGreaterThan 0.25
        report.samples.toSet().size shouldNotBe 1
    }
})


