import dev.anneal.dsl.optimizer

// optimizer is imported but adam is not: the group type cannot be inferred from the block.
val spec = optimizer { adam(lr = 0.1) } // ERROR: cannot infer type // ERROR: unresolved reference 'adam'
