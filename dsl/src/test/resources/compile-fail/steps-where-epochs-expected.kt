import dev.anneal.dsl.*

// Patience counts epochs; a count of steps is another type.
val run = pipeline {
    callbacks { earlyStopping(patience = 500.steps) } // ERROR: argument type mismatch: actual type is 'Steps', but 'Epochs' was expected
}
