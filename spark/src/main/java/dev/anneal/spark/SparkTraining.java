package dev.anneal.spark;

import dev.anneal.config.Checks;
import dev.anneal.config.InvalidConfigException;
import dev.anneal.state.CheckpointPolicy;
import dev.anneal.train.Callback;
import dev.anneal.train.TrainingResult;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import scala.reflect.ClassTag$;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Synchronous data-parallel training on Spark: {@link Builder#workers N} replicas, each built on
 * its executor by a {@link ReplicaFactory} and trained on its shard of every global batch, their
 * gradients averaged over TCP at each step, so that the run is the run of one replica on N times
 * the batch. Spark starts them as one barrier stage (all at once or none); if a task fails, Spark
 * reruns the stage and the replicas resume from the newest checkpoint. The driver's callbacks see
 * rank 0's events as they happen; {@link #run} returns rank 0's result.
 *
 * <p>On {@code local-cluster[N,cores,memory]} (separate executor JVMs on this machine) the
 * executors get the driver's classpath; Spark's launcher also needs {@code SPARK_HOME} to name a
 * folder holding a {@code jars/} folder (it may be empty) and {@code SPARK_SCALA_VERSION=2.13}
 * in the driver's environment.
 */
public final class SparkTraining {
    /** How long a replica waits for another before failing the stage, when not set. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

    private final String master;
    private final SparkContext context;
    private final int workers;
    private final ReplicaFactory factory;
    private final List<Callback> callbacks;
    private final CheckpointPolicy checkpoints;
    private final Duration timeout;
    private final Map<String, String> conf;
    /** The context and job group of the run in progress, for {@link #cancel}; null between runs. */
    private volatile SparkContext running;
    private volatile String jobGroup;

    private SparkTraining(Builder b) {
        Checks c = new Checks("sparkTraining");
        c.require(b.master != null || b.context != null, "master", "is required: master(\"local[2]\"), or a context");
        c.require(b.master == null || b.context == null, "context", "and master are both given; give one");
        c.require(b.workers >= 1, "workers", "must be at least 1, got " + b.workers);
        c.require(b.factory != null, "replica", "is required: a factory that builds each replica's loop");
        c.require(!b.timeout.isNegative() && !b.timeout.isZero(), "timeout", "must be positive, got " + b.timeout);
        c.throwIfAny();
        this.master = b.master;
        this.context = b.context;
        this.workers = b.workers;
        this.factory = b.factory;
        this.callbacks = List.copyOf(b.callbacks);
        this.checkpoints = b.checkpoints;
        this.timeout = b.timeout;
        this.conf = Map.copyOf(b.conf);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Trains until every replica has finished; returns rank 0's result. A replica's failure that reruns cannot mend fails the run. */
    public TrainingResult run() throws IOException {
        SparkContext spark = context != null ? context : SparkContext.getOrCreate(conf());
        InetAddress driverHost = InetAddress.getByName(spark.getConf().get("spark.driver.host", "127.0.0.1"));
        String token = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
        try (DriverLink link = DriverLink.listen(driverHost, token, callbacks)) {
            ReplicaTask.Job job = new ReplicaTask.Job(factory, workers, token, timeout.toMillis(),
                    link.address().getAddress().getHostAddress(), link.address().getPort(),
                    checkpoints != null ? checkpoints.dir().toAbsolutePath().toString() : null,
                    checkpoints != null ? checkpoints.everyEpochs() : 0, checkpoints != null ? checkpoints.everySteps() : 0,
                    checkpoints != null ? checkpoints.keep() : 0);
            if (context == null) {
                awaitExecutors(spark);
            }
            jobGroup = "anneal-" + token;
            spark.setJobGroup(jobGroup, "anneal: data-parallel training", true);
            running = spark;
            List<Integer> ranks = IntStream.range(0, workers).boxed().toList();
            RDD<Integer> partitions = new JavaSparkContext(spark).parallelize(ranks, workers).rdd();
            // The shuffle behind the barrier stage makes it a map stage, which Spark reruns when a
            // task fails (it aborts a job whose barrier result stage fails).
            partitions.barrier().mapPartitions(new ReplicaTask(job), false, ClassTag$.MODULE$.apply(Object.class))
                    .repartition(1, null).count();
            if (link.callbackFailure() != null) {
                throw link.callbackFailure();
            }
            TrainingResult result = awaitResult(link);
            return result;
        } finally {
            running = null;
            spark.clearJobGroup();
            if (context == null) {
                spark.stop();
            }
        }
    }

    /** Stops the run in progress from another thread: Spark kills its tasks, and {@link #run} throws. */
    public void cancel() {
        SparkContext spark = running;
        if (spark != null) {
            spark.cancelJobGroup(jobGroup);
        }
    }

    /**
     * Waits, up to a minute, for the executors a new context asked for to register: a barrier
     * stage submitted before they have would be refused for want of slots, then retried.
     */
    private void awaitExecutors(SparkContext spark) {
        if (master.equals("local") || master.startsWith("local[")) {
            return; // the driver runs the tasks
        }
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        // The driver is listed among the executors.
        while (spark.statusTracker().getExecutorInfos().length <= workers && System.nanoTime() < deadline) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Rank 0 sends its result just before its task ends; the link may still be reading it. */
    private static TrainingResult awaitResult(DriverLink link) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (link.result() == null && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (link.result() == null) {
            throw new IllegalStateException("the replicas finished but rank 0's result did not reach the driver",
                    link.readFailure());
        }
        return link.result();
    }

    /** The context's settings: barrier checks every second, no web UI, and for local-cluster the executors' classpath. */
    private SparkConf conf() {
        SparkConf sparkConf = new SparkConf().setMaster(master).setAppName("anneal")
                .setIfMissing("spark.ui.enabled", "false")
                // By default a barrier stage submitted before the executors register waits 15 s to look again.
                .setIfMissing("spark.scheduler.barrier.maxConcurrentTasksCheck.interval", "1s")
                .setIfMissing("spark.executorEnv.DJL_OFFLINE", "true")
                .setIfMissing("spark.executor.extraJavaOptions", "-Dai.djl.offline=true");
        if (master.startsWith("local-cluster")) {
            String home = System.getenv("SPARK_HOME");
            if (home == null || !Files.isDirectory(Path.of(home, "jars"))) {
                throw new InvalidConfigException("sparkTraining.master", "is " + master + ", whose executors Spark's"
                        + " launcher starts from SPARK_HOME: set SPARK_HOME to a folder holding a jars/ folder (it may be"
                        + " empty) and SPARK_SCALA_VERSION=2.13; SPARK_HOME is " + (home == null ? "unset" : home));
            }
            sparkConf.setIfMissing("spark.executor.extraClassPath", absoluteClassPath());
        }
        conf.forEach(sparkConf::set);
        return sparkConf;
    }

    /** This JVM's classpath with every entry absolute: executors start in folders of their own. */
    private static String absoluteClassPath() {
        return java.util.Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !entry.isBlank())
                .map(entry -> Path.of(entry).toAbsolutePath().toString())
                .collect(Collectors.joining(File.pathSeparator));
    }

    /** Configures a {@link SparkTraining}. */
    public static final class Builder {
        private String master;
        private SparkContext context;
        private int workers;
        private ReplicaFactory factory;
        private final List<Callback> callbacks = new ArrayList<>();
        private CheckpointPolicy checkpoints;
        private Duration timeout = DEFAULT_TIMEOUT;
        private final Map<String, String> conf = new LinkedHashMap<>();

        /** Starts a context on {@code master} ({@code local[2]}, {@code local-cluster[2,1,1024]}, a cluster's URL) and stops it at the end. */
        public Builder master(String master) {
            this.master = Objects.requireNonNull(master, "master");
            return this;
        }

        /** Runs on a context of the caller's, which stays open. */
        public Builder context(SparkContext context) {
            this.context = Objects.requireNonNull(context, "context");
            return this;
        }

        /** How many replicas train together; the cluster must be able to run them all at once. */
        public Builder workers(int workers) {
            this.workers = workers;
            return this;
        }

        /** Builds each replica's loop on its executor. */
        public Builder replica(ReplicaFactory factory) {
            this.factory = Objects.requireNonNull(factory, "factory");
            return this;
        }

        /** Told rank 0's events on the driver, as they happen. */
        public Builder callback(Callback callback) {
            callbacks.add(Objects.requireNonNull(callback, "callback"));
            return this;
        }

        /**
         * Rank 0 writes checkpoints as {@code policy} says, into a folder every executor can read,
         * and every run (a rerun after a failure too) resumes from the newest one there.
         */
        public Builder checkpoints(CheckpointPolicy policy) {
            this.checkpoints = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /** How long a replica waits for another before the stage fails ({@link #DEFAULT_TIMEOUT}). */
        public Builder timeout(Duration timeout) {
            this.timeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /** A Spark setting for the context this run starts. */
        public Builder conf(String key, String value) {
            conf.put(key, value);
            return this;
        }

        public SparkTraining build() {
            return new SparkTraining(this);
        }
    }
}
