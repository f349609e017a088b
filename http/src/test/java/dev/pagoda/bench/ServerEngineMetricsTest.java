package dev.pagoda.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class ServerEngineMetricsTest {
    private static final String BEFORE = """
            # HELP pagoda:engine_steps_total Engine steps that computed something.
            # TYPE pagoda:engine_steps_total counter
            pagoda:engine_step_seconds_total{model_name="m",phase="forward"} 1.5
            pagoda:engine_step_seconds_total{model_name="m",phase="schedule"} 0.25
            pagoda:engine_step_seconds_total{model_name="m",phase="update"} 0.125
            pagoda:engine_steps_total{model_name="m"} 100.0
            vllm:prefix_cache_hits_total{model_name="m"} 16.0
            vllm:prefix_cache_queries_total{model_name="m"} 512.0
            vllm:num_requests_running{model_name="m"} 0.0
            """;

    @Test
    void theDifferenceIsTheRunPerStep() {
        ServerEngineMetrics before = ServerEngineMetrics.parse(BEFORE);
        ServerEngineMetrics after = ServerEngineMetrics.parse(BEFORE.replace("} 1.5", "} 2.5").replace("} 0.25", "} 0.45")
                .replace("} 0.125", "} 0.325").replace("} 100.0", "} 300.0").replace("} 512.0", "} 1536.0"));
        ServerEngineMetrics run = after.since(before);
        assertEquals(200, run.steps());
        assertEquals(5000, (double) run.json().get("server_step_forward_us"), 1e-6);
        assertEquals(1000, (double) run.json().get("server_step_schedule_us"), 1e-6);
        assertEquals(1000, (double) run.json().get("server_step_update_us"), 1e-6);
        assertEquals(0L, run.json().get("server_prefix_cache_hits"));
        assertEquals(1024L, run.json().get("server_prefix_cache_queries"));
        assertEquals("server engine during the run: 200 steps, host µs per step: schedule 1000, forward 5000, update 1000;"
                + " prefix-cache hits 0 of 1024 prompt tokens", run.describe());
    }

    @Test
    void aServerWithoutEngineCountersGivesNothing() {
        assertNull(ServerEngineMetrics.parse("vllm:num_requests_running{model_name=\"m\"} 0.0\n"));
    }
}
