/**
 * Data-parallel training on Apache Spark, as Horovod on Spark, TorchDistributor and
 * XGBoost4J-Spark do it: Spark starts the replicas together as one barrier stage, they exchange
 * addresses once, and from then on they exchange gradients over their own TCP links
 * ({@link dev.anneal.parallel.TcpCollective}), not through Spark. Spark reruns the stage when a
 * task fails; the replicas then resume from the newest checkpoint.
 */
package dev.anneal.spark;
