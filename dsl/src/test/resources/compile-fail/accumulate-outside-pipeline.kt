import dev.anneal.dsl.*

// accumulate is a setting of the whole run: pipeline { } has it, an optimizer block inside it does not.
val run = pipeline {
    optimizer {
        sgd(lr = 0.1)
        accumulate = 4 // ERROR: cannot be called in this context with an implicit receiver
    }
}

// Nor does anything outside pipeline { }.
fun settings() {
    accumulate = 4 // ERROR: unresolved reference 'accumulate'
}
