package dev.anneal.train;

/**
 * How a run ended.
 *
 * @param epochs             epochs completed
 * @param steps              the optimizer's step count at the end
 * @param meanLoss           the last epoch's mean loss (of the batches it ran); NaN when no batch ran, as in a
 *                           run resumed from a checkpoint already at its end
 * @param validationAccuracy the last validation's accuracy (of the restored model, for a run resumed at its
 *                           end), NaN without a validation set
 * @param stopReason         why it stopped early, or null when it ran every epoch
 * @param metrics            the last validation's figures by name, empty without a validation set
 * @param history            every row this run logged (not those of the run it resumed from)
 */
public record TrainingResult(int epochs, long steps, double meanLoss, double validationAccuracy, String stopReason,
                             java.util.Map<String, Double> metrics, History history) {
    public TrainingResult {
        metrics = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(metrics));
        java.util.Objects.requireNonNull(history, "history");
    }
}
