// Without import dev.anneal.dsl.* nothing of the DSL resolves.
val spec = optimizer { adam(lr = 0.1) } // ERROR: unresolved reference 'optimizer'
