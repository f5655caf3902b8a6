import dev.anneal.dsl.*

// Proximal Adagrad shares FTRL's l1 and l2 but divides by the root of its sum, not by a power of it.
val spec = optimizer {
    proximalAdagrad(lr = 0.1, l1 = 1e-3)
    group("embeddings") { lrPower = -1.0 } // ERROR: unresolved reference 'lrPower'
}
