// L-BFGS with a closure on a small regression: ./anneal run samples/scripts/lbfgs-regression.main.kts [--epochs N]
// One batch holds all 256 samples, so each epoch is one L-BFGS step, which evaluates the loss as
// often as its strong Wolfe line search needs (the loop hands it the closure, as PyTorch's does).
// The fit is printed beside the least-squares solution, solved directly from the normal equations.

import ai.djl.engine.Engine
import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.DataType
import ai.djl.ndarray.types.Shape
import ai.djl.nn.core.Linear
import ai.djl.training.dataset.ArrayDataset
import dev.anneal.dsl.*
import dev.anneal.train.History
import dev.anneal.train.TrainingEvent
import dev.anneal.train.loss.Losses
import java.util.Random
import kotlin.math.abs

val passes = args.indexOf("--epochs").let { if (it >= 0) args[it + 1].toInt() else 5 }
val samples = 256
val features = 3
Engine.getInstance().setRandomSeed(3)

// y = 2 x0 - 3 x1 + 0.5 x2 + 1, with noise.
val random = Random(3)
val x = Array(samples) { DoubleArray(features) { random.nextGaussian() } }
val y = DoubleArray(samples) { 2 * x[it][0] - 3 * x[it][1] + 0.5 * x[it][2] + 1 + 0.1 * random.nextGaussian() }

/** The least-squares weights and bias: the normal equations (A^T A) w = A^T y, by Gaussian elimination. */
fun leastSquares(): DoubleArray {
    val n = features + 1
    val a = Array(n) { DoubleArray(n + 1) }
    for (s in 0 until samples) {
        val row = x[s] + 1.0
        for (i in 0 until n) {
            for (j in 0 until n) a[i][j] += row[i] * row[j]
            a[i][n] += row[i] * y[s]
        }
    }
    for (col in 0 until n) {
        val pivot = (col until n).maxBy { abs(a[it][col]) }
        a[col] = a[pivot].also { a[pivot] = a[col] }
        for (r in 0 until n) if (r != col) {
            val f = a[r][col] / a[col][col]
            for (c in col..n) a[r][c] -= f * a[col][c]
        }
    }
    return DoubleArray(n) { a[it][n] / a[it][it] }
}

NDManager.newBaseManager().use { manager ->
    val linear = Linear.builder().setUnits(1).build()
    linear.initialize(manager, DataType.FLOAT32, Shape(samples.toLong(), features.toLong()))
    val data = ArrayDataset.Builder()
        .setData(manager.create(x.flatMap { row -> row.map { it.toFloat() } }.toFloatArray(), Shape(samples.toLong(), features.toLong())))
        .optLabels(manager.create(y.map { it.toFloat() }.toFloatArray(), Shape(samples.toLong(), 1)))
        .setSampling(samples, false).build()

    val run = pipeline {
        model = linear
        data(data)
        loss = Losses.mse()
        optimizer { lbfgs(lr = 1, maxIter = 20, strongWolfe = true) }
        epochs = passes
        callbacks {
            on<TrainingEvent.Logged> { logged ->
                if (logged.row().kind() == History.Kind.EPOCH) println("epoch ${logged.row().epoch() + 1}/$passes: mse ${logged.row().get("train_loss")}")
            }
        }
    }
    run.use { it.run() }
    val weight = linear.parameters.get("weight").array.toFloatArray()
    val bias = linear.parameters.get("bias").array.toFloatArray()
    println("fit:           " + (weight + bias).joinToString(" ") { "%.5f".format(it) })
    println("least squares: " + leastSquares().joinToString(" ") { "%.5f".format(it) })
}
