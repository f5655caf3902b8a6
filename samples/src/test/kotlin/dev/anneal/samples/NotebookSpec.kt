package dev.anneal.samples

import com.google.gson.JsonObject
import com.google.gson.JsonParser
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldHaveAtLeastSize
import io.kotest.matchers.doubles.shouldBeGreaterThanOrEqual
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import java.io.ByteArrayInputStream
import java.io.File
import java.nio.file.Files
import java.nio.file.Path
import java.util.Base64
import java.util.concurrent.TimeUnit
import javax.imageio.ImageIO
import kotlin.io.path.createTempDirectory

/**
 * The sample notebook run headless, as CI runs it: Debian's `jupyter nbconvert` executes every
 * cell in the Kotlin kernel Maven Central serves (0.11, Kotlin 1.8.20, `notebook/kernel`), with
 * the DSL built for that kernel (`notebook`) and the engine on its class path. `.ci/run`
 * installs `jupyter-nbconvert` and `python3-nbclient`.
 */
class NotebookSpec : FunSpec({
    val root = Path.of("").toAbsolutePath().parent
    val kernelClasspath = root.resolve("notebook/kernel/target/kernel-classpath.txt")
    val notebookClasspath = root.resolve("notebook/target/classpath.txt")
    val dsl = root.resolve("notebook/target/anneal-notebook-0.1.0-SNAPSHOT.jar")

    fun entries(file: Path) = Files.readString(file).trim().split(File.pathSeparator)

    /** A kernel spec whose JVM runs the kernel, and whose cells compile against Anneal and Kotlin 1.8.20's stdlib. */
    fun kernelSpec(dir: Path) {
        val kernel = entries(kernelClasspath)
        val notebook = entries(notebookClasspath)
        // The kernel's own JNA is too old for DJL's natives: DJL's takes its place.
        val jvm = kernel.filterNot { it.contains("/jna-") } + notebook.filter { it.contains("/jna-") }
        val cells = listOf(dsl.toString()) + notebook.filterNot { it.contains("kotlin-stdlib") || it.contains("kotlin-reflect") } +
            kernel.filter { it.contains("kotlin-stdlib") || it.contains("kotlin-jupyter-api") || it.contains("kotlin-jupyter-lib") }
        val spec = JsonObject()
        spec.add("argv", com.google.gson.JsonArray().apply {
            listOf(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", jvm.joinToString(File.pathSeparator),
                "org.jetbrains.kotlinx.jupyter.IkotlinKt", "-home=" + dir.resolve("home"), "-cp=" + cells.joinToString(File.pathSeparator),
                "{connection_file}").forEach { add(it) }
        })
        spec.addProperty("display_name", "Kotlin (Anneal)")
        spec.addProperty("language", "kotlin")
        Files.createDirectories(dir.resolve("home"))
        Files.writeString(Files.createDirectories(dir.resolve("kernels/anneal-kotlin")).resolve("kernel.json"), spec.toString())
    }

    /** Each code cell's source and its outputs' data, text joined. */
    fun cells(notebook: Path): List<Pair<String, List<Map<String, String>>>> =
        JsonParser.parseString(Files.readString(notebook)).asJsonObject.getAsJsonArray("cells").map { it.asJsonObject }
            .filter { it.get("cell_type").asString == "code" }
            .map { cell ->
                cell.getAsJsonArray("source").joinToString("") { it.asString } to cell.getAsJsonArray("outputs").map { output ->
                    val data = output.asJsonObject.getAsJsonObject("data") ?: JsonObject()
                    data.entrySet().associate { (mime, value) ->
                        mime to if (value.isJsonArray) value.asJsonArray.joinToString("") { it.asString } else value.asString
                    }
                }
            }

    fun images(html: String): List<ByteArray> =
        Regex("""data:image/png;base64,([A-Za-z0-9+/=]+)""").findAll(html).map { Base64.getDecoder().decode(it.groupValues[1]) }.toList()

    test("the sample notebook runs headless; its cells show the schedule plot, the audit, the trained accuracy and the run's curves") {
        withClue("the notebook modules are built before samples by mvn -B verify from the root") {
            listOf(kernelClasspath, notebookClasspath, dsl).forEach { Files.exists(it) shouldBe true }
        }
        val jupyter = createTempDirectory("anneal-jupyter")
        kernelSpec(jupyter)
        val out = jupyter.resolve("out")
        val log = jupyter.resolve("nbconvert.log").toFile()
        val process = ProcessBuilder("jupyter", "nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.timeout=600",
            "--ExecutePreprocessor.kernel_name=anneal-kotlin", "--output-dir", out.toString(), "samples/notebooks/pipeline.ipynb")
            .directory(root.toFile()).redirectErrorStream(true).redirectOutput(log).also {
                it.environment()["JUPYTER_PATH"] = jupyter.toString()
                it.environment()["OPT_OUT_TRACKING"] = "true"
                it.environment()["DJL_OFFLINE"] = "true"
            }.start()
        withClue({ "nbconvert's output:\n" + log.readText().takeLast(4000) }) {
            process.waitFor(15, TimeUnit.MINUTES) shouldBe true
            process.exitValue() shouldBe 0
        }
        val executed = cells(out.resolve("pipeline.ipynb"))
        fun outputs(marker: String) = executed.single { (source, _) -> marker in source }.second

        val plot = images(outputs("Html.schedule").single().getValue("text/html")).single()
        ImageIO.read(ByteArrayInputStream(plot)).let { (it.width to it.height) shouldBe (900 to 520) }
        outputs("Html.audit").single().getValue("text/html") shouldContain "<td>01Conv2d_weight</td><td>(6, 1, 5, 5)</td><td>default</td>"
        val accuracy = outputs("build().run()").last().getValue("text/plain")
        withClue(accuracy) { accuracy.substringAfter("test accuracy ").trim('[', ']', '\'', '"').toDouble() shouldBeGreaterThanOrEqual 0.70 }
        val curves = outputs("Html.result").single().getValue("text/html")
        images(curves) shouldHaveAtLeastSize 3
        curves shouldContain "<p>learning - the training loss went from "
    }
})
