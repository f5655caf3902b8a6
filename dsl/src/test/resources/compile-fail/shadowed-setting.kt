import ai.djl.nn.Block
import dev.anneal.dsl.*

// A script's own val named as a setting shadows it in an assignment: the call form is the way.
fun run(model: Block) {
    pipeline {
        model = model // ERROR: 'val' cannot be reassigned
    }
}
