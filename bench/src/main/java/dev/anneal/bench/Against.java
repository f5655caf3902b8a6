package dev.anneal.bench;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One build of Anneal loaded on its own, to time its fused steps beside another's in one JVM
 * ({@code ./anneal bench --against REV}): two runs of the bench minutes apart differ by 30% on
 * single rows on this shared machine, while steps interleaved in one process see the same
 * machine. Each build's own classes ({@code dev.anneal}) load from its jars in a loader of their
 * own, this build's too, so that no build's JIT profile holds another's kernels; the libraries
 * come from this build, so DJL and its native library are loaded once. A revision is exported
 * with {@code git archive} into {@code ~/.cache/anneal/against/COMMIT} (out of reach of
 * {@code mvn clean}) and built there offline, once.
 */
final class Against implements AutoCloseable {
    private static final String OWN = "dev.anneal.";
    private final String name;
    private final URLClassLoader loader;

    private Against(String name, URL[] jars) {
        this.name = name;
        this.loader = new OwnFirst(jars, Against.class.getClassLoader());
    }

    /** This build, from the jars on this JVM's class path. */
    static Against current(String name) throws IOException {
        List<String> entries = Arrays.asList(System.getProperty("java.class.path").split(File.pathSeparator));
        return new Against(name, urls(entries));
    }

    /**
     * Revision {@code rev} of the repository at {@code root}, built if it was not; a mistake (no
     * such commit, other DJL jars, a failed build) is an {@link IllegalArgumentException} whose
     * message says what to do.
     */
    static Against build(Path root, String rev, PrintStream out) throws IOException, InterruptedException {
        String commit = git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", rev + "^{commit}").strip();
        if (commit.isEmpty()) {
            throw new IllegalArgumentException("--against got " + rev + ", which is no commit of " + root);
        }
        Path dir = Path.of(System.getProperty("user.home"), ".cache", "anneal", "against", commit);
        Path classpath = dir.resolve("bench/target/classpath.txt");
        if (!Files.isRegularFile(dir.resolve("built"))) {
            out.printf("building %s in %s (offline Maven, once; its log is build.log there)%n", commit.substring(0, 7), dir);
            deleteTree(dir);
            Files.createDirectories(dir);
            Path tar = dir.resolve("source.tar");
            git(root, "archive", "--output=" + tar, commit);
            if (run(dir, dir.resolve("untar.log"), "tar", "-xf", tar.toString()) != 0) {
                throw new IllegalArgumentException("exporting " + rev + " failed; see " + dir.resolve("untar.log"));
            }
            Files.delete(tar);
            if (run(dir, dir.resolve("build.log"), "mvn", "-B", "-q", "-o", "-DskipTests", "package", "-pl", "bench",
                    "-am") != 0 || !Files.isRegularFile(classpath)) {
                throw new IllegalArgumentException("building " + rev + " failed; see " + dir.resolve("build.log"));
            }
            Files.writeString(dir.resolve("built"), commit + "\n");
        }
        List<String> entries = new ArrayList<>(Arrays.asList(Files.readString(classpath).strip().split(File.pathSeparator)));
        try (Stream<Path> jars = Files.list(dir.resolve("bench/target"))) {
            jars.filter(p -> p.getFileName().toString().matches("anneal-bench-.*\\.jar")).forEach(p -> entries.add(p.toString()));
        }
        checkSameDjl(entries, rev);
        return new Against(commit.substring(0, 7), urls(entries));
    }

    private static URL[] urls(List<String> entries) throws IOException {
        URL[] urls = new URL[entries.size()];
        for (int i = 0; i < urls.length; i++) {
            urls[i] = Path.of(entries.get(i)).toUri().toURL();
        }
        return urls;
    }

    /**
     * Refuses a revision that needs another version of a DJL jar this build has: one JVM loads
     * DJL, and its native library, once. A jar this build lacks (a model zoo) the revision loads itself.
     */
    private static void checkSameDjl(List<String> entries, String rev) {
        // Not Set.of, which refuses a class path that names a jar twice.
        Set<String> mine = new HashSet<>(Arrays.asList(System.getProperty("java.class.path").split(File.pathSeparator)));
        // A Maven jar's path is .../artifact/version/file: the same artifact folder, another file, is another version.
        Set<Path> artifacts = mine.stream().map(e -> Path.of(e).getParent()).filter(Objects::nonNull)
                .map(Path::getParent).filter(Objects::nonNull).collect(Collectors.toSet());
        List<String> other = entries.stream().filter(e -> e.contains("/ai/djl/") && !mine.contains(e)
                && artifacts.contains(Path.of(e).getParent().getParent())).toList();
        if (!other.isEmpty()) {
            throw new IllegalArgumentException(rev + " uses other versions of DJL than this build (" + other
                    + "); the two cannot share one JVM");
        }
    }

    /** The build's name, for rows: a revision's short commit. */
    String name() {
        return name;
    }

    /**
     * The build's fused steps of {@code kind} over {@code layout}, with its own settings for the
     * kind, and the non-finite check off when not {@code checked} (as {@link Kind#anneal(NonFinite)}
     * of this build does); only for a kind the build {@link #knows}.
     */
    Stepper fused(Kind kind, String layout, boolean checked) throws ReflectiveOperationException {
        Class<?> kinds = loader.loadClass(OWN + "bench.Kind");
        Object theirs = theirs(kind, kinds).orElseThrow();
        Class<?> layouts = loader.loadClass(OWN + "bench.Layout");
        Class<?> executions = loader.loadClass(OWN + "optim.Execution");
        Method anneal = loader.loadClass(OWN + "bench.Steppers").getDeclaredMethod("anneal", kinds, layouts, executions);
        Method step = loader.loadClass(OWN + "bench.Stepper").getDeclaredMethod("step");
        Method close = loader.loadClass(OWN + "bench.Stepper").getDeclaredMethod("close");
        Field layoutField = layouts.getDeclaredField(layout);
        for (var member : List.of(anneal, step, close, layoutField)) {
            member.setAccessible(true);
        }
        Object fused = executions.getField("FUSED").get(null);
        Object stepper;
        if (checked) {
            stepper = anneal.invoke(null, theirs, layoutField.get(null), fused);
        } else {
            Class<?> policies = loader.loadClass(OWN + "grad.NonFinite");
            Method spec = kinds.getDeclaredMethod("anneal", policies);
            Method annealSpec = loader.loadClass(OWN + "bench.Steppers").getDeclaredMethod("anneal",
                    loader.loadClass(OWN + "optim.OptimizerSpec"), layouts, executions);
            spec.setAccessible(true);
            annealSpec.setAccessible(true);
            stepper = annealSpec.invoke(null, spec.invoke(theirs, policies.getField("APPLY").get(null)),
                    layoutField.get(null), fused);
        }
        return new Stepper() {
            @Override
            public double step() throws Exception {
                return (double) step.invoke(stepper);
            }

            @Override
            public void close() {
                try {
                    close.invoke(stepper);
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
            }
        };
    }

    /** Whether the build has {@code kind} (it may predate it). */
    boolean knows(Kind kind) throws ClassNotFoundException {
        return theirs(kind, loader.loadClass(OWN + "bench.Kind")).isPresent();
    }

    private static Optional<Object> theirs(Kind kind, Class<?> kinds) {
        return Arrays.<Object>stream(kinds.getEnumConstants()).filter(k -> ((Enum<?>) k).name().equals(kind.name()))
                .findFirst();
    }

    @Override
    public void close() throws IOException {
        loader.close();
    }

    /** Loads the revision's own classes from its jars before asking this build; everything else as usual. */
    private static final class OwnFirst extends URLClassLoader {
        OwnFirst(URL[] urls, ClassLoader parent) {
            super(urls, parent);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!name.startsWith(OWN)) {
                return super.loadClass(name, resolve);
            }
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c == null) {
                    c = findClass(name);
                }
                if (resolve) {
                    resolveClass(c);
                }
                return c;
            }
        }
    }

    private static String git(Path root, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("git", "-C", root.toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String output = new String(process.getInputStream().readAllBytes());
        return process.waitFor() == 0 ? output : "";
    }

    private static int run(Path dir, Path log, String... command) throws IOException, InterruptedException {
        return new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start().waitFor();
    }

    private static void deleteTree(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> paths = Files.walk(dir)) {
                for (Path p : paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).collect(Collectors.toList())) {
                    Files.delete(p);
                }
            }
        }
    }
}
