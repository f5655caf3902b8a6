import dev.anneal.dsl.*

// torch.optim.SparseAdam has no weight decay: a decay would touch every row of an embedding.
val spec = optimizer {
    sparseAdam(lr = 1e-2)
    group("embedding") { weightDecay = 0.01 } // ERROR: SparseAdam has no weightDecay; its groups take
}
