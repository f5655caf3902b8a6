package dev.anneal.notebook

import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.Shape
import dev.anneal.optim.Optimizers
import dev.anneal.param.ParameterSet
import dev.anneal.param.Selector
import dev.anneal.plot.LineChart
import dev.anneal.run.Charts
import dev.anneal.schedule.Preview
import dev.anneal.schedule.Schedule
import dev.anneal.train.History
import dev.anneal.train.TrainingEvent
import dev.anneal.train.TrainingResult
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import java.util.Base64

class HtmlSpec : FunSpec({
    fun images(html: String): List<ByteArray> =
        Regex("""data:image/png;base64,([A-Za-z0-9+/=]+)""").findAll(html).map { Base64.getDecoder().decode(it.groupValues[1]) }.toList()

    test("a schedule is the preview's chart as an inline PNG") {
        val lr = Schedule.constant(0.1).times(0.5)
        val html = Html.schedule("lr", lr, 300)
        html.substringBefore(" src=") shouldBe "<img alt=\"lr over 300 steps\""
        images(html).single() shouldBe Preview(mapOf("lr" to lr), 300).png()
    }

    test("a result is every chart of its history, then its diagnosis, escaped") {
        val history = History()
        listOf(2.0, 1.5, 1.2).forEachIndexed { epoch, loss ->
            history.add(History.Row(History.Kind.STEP, epoch, epoch + 1L, mapOf(History.LOSS to loss, History.MEAN_LOSS to loss, History.TIME to 1.0)))
            history.add(History.Row(History.Kind.EPOCH, epoch, epoch + 1L, mapOf(History.TRAIN_LOSS to loss, History.TIME to 1.0)))
        }
        val result = TrainingResult(3, 3, 1.2, Double.NaN, null, emptyMap(), history)
        val html = Html.result(result)
        images(html) shouldBe Charts.all(history).values.map { LineChart.png(it) }
        html.substringAfterLast("/>") shouldBe "<p>" + dev.anneal.run.Diagnosis.of(result).text() + "</p>"
    }

    test("an audit is a table row per parameter with its group and values; text is escaped") {
        NDManager.newBaseManager().use { m ->
            val params = ParameterSet.of(mapOf("w<1>" to m.ones(Shape(2)), "b" to m.ones(Shape(1))).onEach { it.value.setRequiresGradient(true) })
            Optimizers.sgd().lr(0.1).group("bias", Selector.name("b")) { it.lr(0.01) }.build().compile(params).use { sgd ->
                val html = Html.audit(sgd)
                html.split("<tr>").size shouldBe 1 + 1 + 2
                html shouldBe "<table><tr><th>parameter</th><th>shape</th><th>group</th><th>values</th></tr>" +
                    sgd.audit().joinToString("") { row ->
                        "<tr><td>${row.param().replace("<", "&lt;").replace(">", "&gt;")}</td><td>${row.shape()}</td><td>${row.group()}</td>" +
                            "<td>${row.values().toSortedMap().entries.joinToString(" ") { "${it.key}=${it.value}" }}</td></tr>"
                    } + "</table>"
                html.contains("w<1>") shouldBe false
            }
        }
    }

    test("progress is an HTML progress bar with readable figures; an unknown total leaves it indeterminate") {
        Html.progress(TrainingEvent.BatchEnd(0, 2, 30, 297, 30, 1.4482, 1.6, 3.0, 3.2e-5, Double.NaN, 1.0, 0)) shouldBe
            "<progress value=\"30\" max=\"297\"></progress> epoch 1/2, batch 30/297, loss 1.448, lr 3.2e-05"
        Html.progress(TrainingEvent.BatchEnd(1, 2, 7, -1, 37, 0.5, 0.6, 3.0, 0.01, Double.NaN, 1.0, 0)) shouldBe
            "<progress></progress> epoch 2/2, batch 7/?, loss 0.5, lr 0.01"
    }
})
