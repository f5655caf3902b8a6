import dev.anneal.dsl.*

// The loss monitor's interval counts steps; a count of epochs is another type.
val run = pipeline {
    callbacks { lossMonitor(every = 2.epochs) } // ERROR: argument type mismatch: actual type is 'Epochs', but 'Steps' was expected
}
