import dev.anneal.dsl.*

// A phase's steps = is a count, not Epochs.
val lr = schedule { warmup(steps = 2.epochs) then cosine(steps = 100, peak = 0.1) } // ERROR: argument type mismatch: actual type is 'Epochs', but 'Number?' was expected
