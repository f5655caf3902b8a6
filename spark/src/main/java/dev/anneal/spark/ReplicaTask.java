package dev.anneal.spark;

import dev.anneal.parallel.TcpCollective;
import dev.anneal.state.CheckpointPolicy;
import dev.anneal.train.TrainingLoop;
import dev.anneal.train.TrainingResult;
import org.apache.spark.BarrierTaskContext;
import scala.collection.Iterator;
import scala.runtime.AbstractFunction1;

import java.io.Serializable;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One replica, as a task of the barrier stage: it listens, joins the one rendezvous (Spark's
 * barrier {@code allGather}, which also carries rank 0's choice of checkpoint to resume from, so
 * that every replica resumes from the same file), connects to the others, builds its loop from the
 * factory and trains. Rank 0 writes the checkpoints and reports to the driver.
 */
final class ReplicaTask extends AbstractFunction1<Iterator<Integer>, Iterator<Object>> implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final String SEPARATOR = "\n";

    /** Everything a replica needs, sent with the task: plain values and the factory. */
    record Job(ReplicaFactory factory, int workers, String token, long timeoutMillis, String driverHost, int driverPort,
               String checkpointDir, int everyEpochs, long everySteps, int keep) implements Serializable {
        CheckpointPolicy checkpoints() {
            return new CheckpointPolicy(Path.of(checkpointDir), everyEpochs, everySteps, keep);
        }
    }

    private final Job job;

    ReplicaTask(Job job) {
        this.job = job;
    }

    @Override
    public Iterator<Object> apply(Iterator<Integer> partition) {
        BarrierTaskContext context = BarrierTaskContext.get();
        try {
            train(context, context.partitionId());
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("replica " + context.partitionId() + " failed: " + e.getMessage(), e);
        }
        return scala.collection.Iterator$.MODULE$.empty();
    }

    private void train(BarrierTaskContext context, int rank) throws Exception {
        InetAddress host = InetAddress.getByName(localHost(context, rank));
        ServerSocket listening = TcpCollective.listen(host);
        String[] all;
        try {
            String resumeFrom = "";
            if (rank == 0 && job.checkpointDir() != null) {
                resumeFrom = CheckpointPolicy.latest(Path.of(job.checkpointDir())).file().map(Path::toString).orElse("");
            }
            all = context.allGather(host.getHostAddress() + ":" + listening.getLocalPort() + SEPARATOR + resumeFrom);
        } catch (Exception | Error e) {
            listening.close();
            throw e;
        }
        List<InetSocketAddress> addresses = new ArrayList<>();
        for (String entry : all) {
            String address = entry.substring(0, entry.indexOf(SEPARATOR));
            int colon = address.lastIndexOf(':');
            addresses.add(new InetSocketAddress(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1))));
        }
        String chosen = all[0].substring(all[0].indexOf(SEPARATOR) + 1);
        try (TcpCollective collective = TcpCollective.connect(rank, addresses, listening, job.token(),
                Duration.ofMillis(job.timeoutMillis()));
             Worker worker = new Worker(rank, job.workers());
             DriverLink.Sender sender = rank == 0
                     ? DriverLink.sender(new InetSocketAddress(job.driverHost(), job.driverPort()), job.token()) : null) {
            // A cancelled job interrupts its tasks; the replicas agree to stop at the next batch, where
            // otherwise they would train on, blocked in socket reads no interrupt ends.
            TrainingLoop.Builder loop = job.factory().replica(worker).dataParallel(collective)
                    .cancelled(context::isInterrupted);
            if (job.checkpointDir() != null) {
                loop.checkpoints(job.checkpoints());
                if (!chosen.isEmpty()) {
                    loop.resumeFrom(Path.of(chosen));
                }
            }
            if (sender != null) {
                loop.callback(sender);
            }
            TrainingResult result = loop.build().run();
            if (sender != null) {
                sender.finish(result);
            }
        }
    }

    /**
     * The address the other replicas reach this one at: {@code SPARK_LOCAL_IP} when set, else the
     * host Spark knows this task's executor by (not {@code getLocalHost}, often a loopback address).
     */
    private static String localHost(BarrierTaskContext context, int rank) {
        String configured = System.getenv("SPARK_LOCAL_IP");
        if (configured != null && !configured.isBlank()) {
            return configured;
        }
        String address = context.getTaskInfos()[rank].address();
        int colon = address.lastIndexOf(':');
        return colon > 0 ? address.substring(0, colon) : address;
    }
}
