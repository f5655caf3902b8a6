package dev.anneal.dsl

import dev.anneal.train.Callback
import dev.anneal.train.TrainingEvent
import dev.anneal.train.TrainingLoop
import dev.anneal.train.TrainingResult
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.channels.trySendBlocking
import kotlinx.coroutines.currentCoroutineContext
import kotlinx.coroutines.ensureActive
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.isActive
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext

/**
 * Runs the loop this builder describes, off the caller's thread. Cancelling the coroutine stops
 * the loop between batches, so the model, the optimizer and its step counter stand after a whole
 * number of steps; then the cancellation propagates as usual. No coroutine outlives the call.
 */
public suspend fun TrainingLoop.Builder.fit(): TrainingResult {
    val result = withContext(Dispatchers.IO) {
        val context = coroutineContext
        cancelled { !context.isActive }.build().run()
    }
    currentCoroutineContext().ensureActive()
    return result
}

/**
 * The loop's events as a cold flow: collecting it runs the training, and stopping the collection
 * (`take(n)`, cancellation) stops the training between batches. No event is dropped: a
 * collector more than the flow's buffer (64 events) behind holds the training back.
 */
public fun TrainingLoop.Builder.events(): Flow<TrainingEvent> = callbackFlow {
    callback(Callback { event, _ -> trySendBlocking(event) })
    val training = launch {
        // Whatever ends the run ends the flow: a CancellationException from a callback would
        // otherwise end this coroutine quietly and leave the collector waiting.
        channel.close(runCatching { fit() }.exceptionOrNull())
    }
    awaitClose { training.cancel() }
}
