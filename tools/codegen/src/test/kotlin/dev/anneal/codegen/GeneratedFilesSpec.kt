package dev.anneal.codegen

import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.collections.shouldContain
import io.kotest.matchers.string.shouldContain
import java.nio.file.Files
import java.nio.file.Path

/** The committed generated sources are what the engine's declarations make today. */
class GeneratedFilesSpec : FunSpec({
    val root = Path.of("../..").toAbsolutePath().normalize()

    test("no generated file is stale: run ./anneal generate after changing a chain or a hyperparameter") {
        withClue("stale files") { Generate.stale(root).keys.map { it.toString() }.shouldBeEmpty() }
    }

    test("a generated file edited by hand is reported stale, with the text it should have") {
        val copy = Files.createTempDirectory("codegen")
        for (dir in listOf(Generate.OPTIM, Generate.GRAD, Path.of(Generate.DSL).parent.toString())) {
            Files.createDirectories(copy.resolve(dir))
            Files.list(root.resolve(dir)).use { files -> files.forEach { Files.copy(it, copy.resolve(dir).resolve(it.fileName)) } }
        }
        val adam = copy.resolve(Generate.OPTIM).resolve("AdamOptions.java")
        Files.writeString(adam, Files.readString(adam).replace("The first moment's decay.", "An edited comment."))
        val stale = Generate.stale(copy)
        stale.keys.map { it.toString() } shouldContain Path.of(Generate.OPTIM, "AdamOptions.java").toString()
        stale.getValue(Path.of(Generate.OPTIM, "AdamOptions.java")) shouldContain "The first moment's decay."
    }
})
