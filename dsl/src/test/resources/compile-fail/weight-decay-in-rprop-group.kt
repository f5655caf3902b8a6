import dev.anneal.dsl.*

// torch.optim.Rprop has no weight decay, and neither do its groups here.
val spec = optimizer {
    rprop(lr = 0.01)
    group("head") { weightDecay = 0.01 } // ERROR: Rprop has no weightDecay; its groups take
}
