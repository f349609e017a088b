package dev.pagoda.bench;

import dev.pagoda.cli.Command;
import java.io.InputStream;
import java.io.PrintStream;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code ./pagoda bench throughput|latency|serve} (vLLM's {@code vllm bench}): how fast the engine
 * is offline, how long a fixed batch takes end to end, and how a running server holds up under load.
 * Metric definitions: {@link BenchmarkMetrics}. Runs the subcommand picocli parsed.
 */
@CommandLine.Command(name = "bench", synopsisSubcommandLabel = "throughput|latency|serve",
        description = "benchmark the engine offline (throughput, latency) or a running server (serve), with vLLM's metrics",
        subcommands = {ThroughputBench.class, LatencyBench.class, ServeBench.class})
public final class BenchCommand implements Command {
    @Spec
    CommandSpec spec;

    @Override
    public int run(InputStream in, PrintStream out, PrintStream err) throws Exception {
        CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
        if (parsed == null || !parsed.hasSubcommand()) {
            spec.commandLine().usage(out);
            return 2;
        }
        return ((Command) parsed.subcommand().commandSpec().userObject()).run(in, out, err);
    }
}
