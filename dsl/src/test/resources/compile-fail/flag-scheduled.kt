import dev.anneal.dsl.*

// Flags are Booleans, so a schedule (a Number) does not fit.
val spec = optimizer {
    adam(lr = 0.1)
    group("conv") {
        amsgrad = schedule { warmup(steps = 10) then cosine(steps = 100, peak = 0.1) } // ERROR: assignment type mismatch: actual type is 'Scheduled', but 'Boolean?' was expected
    }
}
