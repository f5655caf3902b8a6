import dev.anneal.dsl.*

// FTRL keeps an accumulator and a linear term, no moments: a beta has no meaning in its groups.
val spec = optimizer {
    ftrl(lr = 0.1)
    group("embeddings") { beta1 = 0.5 } // ERROR: Ftrl has no beta1; its groups take
}
