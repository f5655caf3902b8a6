import dev.anneal.dsl.*
import dev.anneal.train.Accumulation

// The compile-fail snippets' constructs, used correctly: this must compile without errors.

val warmCosine = schedule { warmup(steps = 10) then cosine(steps = 100, peak = 0.1) }

val inEpochs = schedule { warmup(epochs = 1) then cosine(epochs = 10, peak = 1e-3) }

val adamSpec = optimizer {
    adam(lr = warmCosine, beta1 = 0.9, amsgrad = true)
    group("conv") { weightDecay = 0.01; amsgrad = false; lr = inEpochs }
    group(bias or norm) { weightDecay = 0.0 }
    noWeightDecayOn(oneDimensional)
}

val adamWSpec = optimizer {
    adamW(lr = 1e-3)
    group("head", glob("head.*")) { beta2 = 0.99 }
}

val sgdSpec = optimizer {
    sgd(lr = 0.1, momentum = 0.9, nesterov = true)
    group("conv") { momentum = 0.8; dampening = 0.1 }
}

val momentumSpec = optimizer {
    momentum(lr = 0.1, momentum = 0.9)
    group(named("fc")) { momentum = 0.95 }
}

// Built, not run: compiling is all this file is for.
fun run() = pipeline {
    accumulate = 4
    accumulateMode = Accumulation.Mode.SUM
    accumulateEndOfEpoch = Accumulation.EndOfEpoch.CARRY
    optimizer {
        adam(lr = warmCosine)
        group("conv") { weightDecay = 0.01 }
    }
    callbacks {
        lossMonitor(every = 500.steps)
        earlyStopping(patience = 3.epochs)
    }
}
