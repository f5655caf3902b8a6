import dev.anneal.dsl.*

val spec = optimizer { adam(lr = 1e-3) }
val steps: Int = "ten"
println(spec)
