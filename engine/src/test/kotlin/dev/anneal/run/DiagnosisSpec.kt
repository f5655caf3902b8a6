package dev.anneal.run

import dev.anneal.train.History
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe

/** Each verdict from the curves that call for it, and the figures and epoch it names. */
class DiagnosisSpec : FunSpec({
    /** A history of epochs with these training losses and, when given, these validation losses. */
    fun epochs(train: List<Double>, validation: List<Double>? = null, accuracy: List<Double>? = null): History {
        val history = History()
        train.forEachIndexed { i, loss ->
            val values = linkedMapOf(History.TRAIN_LOSS to loss)
            validation?.let { values["val_loss"] = it[i] }
            accuracy?.let { values["val_accuracy"] = it[i] }
            history.add(History.Row(History.Kind.EPOCH, i, (i + 1) * 100L, values))
        }
        return history
    }

    test("both losses falling is learning, with the figures") {
        val d = Diagnosis.of(epochs(listOf(1.0, 0.6, 0.4), listOf(0.9, 0.7, 0.6)), null)
        d.verdict shouldBe Diagnosis.Verdict.LEARNING
        d.text shouldBe "learning - the training loss went from 1.000 to 0.4000 over 3 epochs, the val_loss from 0.9000 to 0.6000"
    }

    test("training falling while validation turned worse after its best is overfitting from the epoch after the best") {
        val d = Diagnosis.of(epochs(listOf(1.0, 0.6, 0.4, 0.3), listOf(0.9, 0.7, 0.75, 0.8)), null)
        d.verdict shouldBe Diagnosis.Verdict.OVERFITTING
        d.text shouldBe "overfitting from epoch 3 - the training loss went from 1.000 to 0.3000 over 4 epochs, while the " +
            "val_loss was best at epoch 2 (0.7000) and is 0.8000 now; stop earlier, or add regularization or data"
    }

    test("without a validation loss, a validation accuracy that fell from its best is read the same way") {
        val d = Diagnosis.of(epochs(listOf(1.0, 0.6, 0.4), accuracy = listOf(0.7, 0.8, 0.7)), null)
        d.verdict shouldBe Diagnosis.Verdict.OVERFITTING
        d.text.startsWith("overfitting from epoch 3") shouldBe true
    }

    test("a validation loss within 1 % of its best is not overfitting") {
        Diagnosis.of(epochs(listOf(1.0, 0.6, 0.4), listOf(0.9, 0.7, 0.705)), null).verdict shouldBe Diagnosis.Verdict.LEARNING
    }

    test("a training loss that moved less than 1 % is stuck; one that rose is rising") {
        Diagnosis.of(epochs(listOf(2.30, 2.299, 2.295)), null).verdict shouldBe Diagnosis.Verdict.STUCK
        Diagnosis.of(epochs(listOf(0.5, 0.7, 0.9)), null).verdict shouldBe Diagnosis.Verdict.RISING
    }

    test("a run the loop stopped on a NaN loss diverged, in the loop's words") {
        val d = Diagnosis.of(epochs(listOf(1.0)), "loss is NaN in epoch 1, batch 7; stopped with the parameters of step 106")
        d.verdict shouldBe Diagnosis.Verdict.DIVERGED
        d.text shouldBe "diverged - the loss is NaN in epoch 1, batch 7; stopped with the parameters of step 106"
    }

    test("one epoch is judged on its first and last fifth of steps; too few steps are too short to tell") {
        val history = epochs(listOf(0.5))
        (1..20).forEach { history.add(History.Row(History.Kind.STEP, 0, it * 10L, mapOf(History.LOSS to 2.0 - it * 0.05))) }
        val d = Diagnosis.of(history, null)
        d.verdict shouldBe Diagnosis.Verdict.LEARNING
        d.text shouldBe "learning - the training loss went from 1.875 to 1.075 over the first and last fifth of 20 logged steps"
        Diagnosis.of(epochs(listOf(0.5)), null).verdict shouldBe Diagnosis.Verdict.TOO_SHORT
    }
})
