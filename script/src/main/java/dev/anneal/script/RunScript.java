package dev.anneal.script;

import dev.anneal.config.Shown;
import org.jetbrains.kotlin.cli.common.CLICompiler;
import org.jetbrains.kotlin.cli.common.ExitCode;
import org.jetbrains.kotlin.cli.jvm.K2JVMCompiler;
import org.jetbrains.kotlin.cli.jvm.compiler.CompatKt;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * {@code anneal run FILE.main.kts [ARGS]}: compiles and runs a Kotlin script on Kotlin's
 * {@code main-kts} definition, in this JVM, with Anneal, DJL and the Kotlin standard library on
 * its class path, so a pipeline script needs no {@code @file:DependsOn} for them (it may still
 * ask for other libraries that way). {@code args} in the script are ARGS. A compile error is
 * reported by the compiler as {@code FILE:LINE:COLUMN: error: ...} and exits with 1; an exception
 * thrown by the script shows its stack with the script's lines and exits with 3; a mistake in the
 * command itself prints one line and exits with 2; the compiler failing in itself exits with 4.
 * Relative paths, the script's included, are the caller's: the launcher runs it where it was called.
 */
public final class RunScript {
    static final String USAGE = """
            usage: anneal run FILE.main.kts [ARGS...]

            Compiles and runs a Kotlin script (main-kts: @file:DependsOn, @file:Repository and
            @file:Import work) with Anneal on its class path; the script reads ARGS as args.
            """;
    /** The compiler's own jars: the script compiles against the rest of this class path. */
    /** The exit status when the compiler fails in itself (its own code, 2, is a command mistake here). */
    static final int COMPILER_FAILED = 4;
    /** Where main-kts keeps compiled scripts (its own property). */
    static final String CACHE_PROPERTY = "kotlin.main.kts.compiled.scripts.cache.dir";
    private static final List<String> COMPILER = List.of("kotlin-compiler-embeddable", "kotlin-scripting-compiler",
            "kotlin-daemon-embeddable", "kotlin-build-tools");

    private RunScript() {
    }

    public static void main(String[] args) {
        int status = run(args, System.err);
        if (status != 0) {
            System.exit(status);
        }
    }

    /** Runs the script {@code args} names; returns the exit status. */
    static int run(String[] args, PrintStream err) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
            (args.length == 0 ? err : System.out).print(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        Path script = Path.of(args[0]);
        Path name = script.getFileName(); // null for a root such as "/"
        String problem = name == null || !name.toString().endsWith(".main.kts")
                ? "must name a Kotlin script ending in .main.kts"
                : !Files.isRegularFile(script) ? "must be a script file, which it is not"
                : !Files.isReadable(script) ? "must be readable" : null;
        if (problem != null) {
            err.println("anneal run: FILE " + problem + ", got " + Shown.quoted(args[0]));
            return 2;
        }
        String classpath = scriptClasspath();
        // main-kts caches compiled scripts by their text alone: one built against another Anneal
        // would fail with NoSuchMethodError, so the cache is one per class path, jars' times included.
        if (System.getProperty(CACHE_PROPERTY) == null) {
            Path cache = Path.of(System.getProperty("java.io.tmpdir"), "anneal-compiled-scripts", fingerprint(classpath));
            try {
                System.setProperty(CACHE_PROPERTY, Files.createDirectories(cache).toString());
            } catch (IOException e) {
                System.setProperty(CACHE_PROPERTY, ""); // blank: main-kts compiles every time
            }
        }
        List<String> compiler = new ArrayList<>(List.of("-no-stdlib", "-no-reflect", "-jvm-target", "17", "-cp", classpath,
                "-script", script.toString(), "--")); // after "--", even "--epochs" is the script's
        compiler.addAll(Arrays.asList(args).subList(1, args.length));
        // As the compiler's own main does first, or it looks for an IDE installation's home.
        CompatKt.setupIdeaStandaloneExecution();
        ExitCode code = CLICompiler.Companion.doMainNoExit(new K2JVMCompiler(), compiler.toArray(String[]::new));
        return code == ExitCode.INTERNAL_ERROR ? COMPILER_FAILED : code.getCode(); // 2 is a mistake in the command
    }

    /** SHA-256 of the class path's entries with each one's size and modification time. */
    static String fingerprint(String classpath) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (String entry : classpath.split(File.pathSeparator)) {
                File file = new File(entry);
                digest.update((entry + '|' + file.length() + '|' + file.lastModified() + '\n').getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JVM", e);
        }
    }

    /** This JVM's class path without the compiler's jars. */
    static String scriptClasspath() {
        List<String> kept = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String name = Path.of(entry).getFileName().toString();
            if (COMPILER.stream().noneMatch(name::startsWith)) {
                kept.add(entry);
            }
        }
        return String.join(File.pathSeparator, kept);
    }
}
