package dev.anneal.script;

import dev.anneal.config.Shown;
import org.jetbrains.kotlin.cli.common.CLICompiler;
import org.jetbrains.kotlin.cli.common.ExitCode;
import org.jetbrains.kotlin.cli.jvm.K2JVMCompiler;
import org.jetbrains.kotlin.cli.jvm.compiler.CompatKt;

import java.io.File;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code anneal run FILE.main.kts [ARGS]}: compiles and runs a Kotlin script on Kotlin's
 * {@code main-kts} definition, in this JVM, with Anneal, DJL and the Kotlin standard library on
 * its class path, so a pipeline script needs no {@code @file:DependsOn} for them (it may still
 * ask for other libraries that way). {@code args} in the script are ARGS. A compile error is
 * reported by the compiler as {@code FILE:LINE:COLUMN: error: ...} and exits with 1; an exception
 * thrown by the script shows its stack with the script's lines and exits with 3; a mistake in the
 * command itself prints one line and exits with 2.
 */
public final class RunScript {
    static final String USAGE = """
            usage: anneal run FILE.main.kts [ARGS...]

            Compiles and runs a Kotlin script (main-kts: @file:DependsOn, @file:Repository and
            @file:Import work) with Anneal on its class path; the script reads ARGS as args.
            """;
    /** The compiler's own jars: the script compiles against the rest of this class path. */
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
        String problem = !script.getFileName().toString().endsWith(".main.kts")
                ? "must name a Kotlin script ending in .main.kts"
                : !Files.isRegularFile(script) ? "must be a script file, which it is not"
                : !Files.isReadable(script) ? "must be readable" : null;
        if (problem != null) {
            err.println("anneal run: FILE " + problem + ", got " + Shown.quoted(args[0]));
            return 2;
        }
        List<String> compiler = new ArrayList<>(List.of("-no-stdlib", "-no-reflect", "-jvm-target", "17", "-cp", scriptClasspath(),
                "-script", script.toString(), "--")); // after "--", even "--epochs" is the script's
        compiler.addAll(Arrays.asList(args).subList(1, args.length));
        // As the compiler's own main does first, or it looks for an IDE installation's home.
        CompatKt.setupIdeaStandaloneExecution();
        ExitCode code = CLICompiler.Companion.doMainNoExit(new K2JVMCompiler(), compiler.toArray(String[]::new));
        return code.getCode();
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
