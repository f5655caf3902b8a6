import ai.djl.nn.Block
import ai.djl.training.dataset.Dataset
import ai.djl.training.loss.Loss
import dev.anneal.dsl.*

// A script's own names, the same as the pipeline's settings: the calls reach the settings.
fun run(model: Block, data: Dataset, validation: Dataset, loss: Loss) {
    val epochs = 3
    pipeline {
        model(model)
        data(data)
        validation(validation)
        loss(loss)
        epochs(epochs)
        optimizer { sgd(lr = 0.1) }
    }
}
