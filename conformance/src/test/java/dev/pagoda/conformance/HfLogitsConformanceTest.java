package dev.pagoda.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CPU backend's logits against Hugging Face transformers' (fp32, CPU) at every position of a
 * prompt, for every golden model (see scripts/goldens/README.md), under several schedules: the
 * whole prompt in one prefill, token by token (decode steps), and chunked prefill whose chunks
 * straddle block boundaries. Each case prints its max relative error.
 */
class HfLogitsConformanceTest {

    /**
     * How the prompt is fed.
     *
     * @param chunkSize tokens per forward step (1 = decode steps; {@code Integer.MAX_VALUE} = one prefill)
     * @param blockSize KV-cache block size
     */
    record Schedule(String name, int chunkSize, int blockSize) {
        @Override
        public String toString() {
            return name + " (blockSize " + blockSize + ")";
        }
    }

    static final List<Schedule> SCHEDULES = List.of(
            new Schedule("one prefill", Integer.MAX_VALUE, 4),
            new Schedule("token by token", 1, 4),
            new Schedule("chunks of 3", 3, 4),
            new Schedule("chunks of 7", 7, 16));

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (LogitGolden golden : LogitGolden.all()) {
            for (Schedule schedule : SCHEDULES) cases.add(Arguments.of(golden, schedule));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("cases")
    void logitsMatchHuggingFaceAtEveryPosition(LogitGolden golden, Schedule schedule) {
        float[][] actual;
        try (CpuSequenceRunner runner = new CpuSequenceRunner(golden.modelDir(), schedule.blockSize(),
                golden.numPositions(), golden.name().hashCode() * 31L + schedule.chunkSize())) {
            actual = runner.logitsAtEveryPosition(golden.tokenIds(), schedule.chunkSize());
        }
        List<PositionError> errors = new ArrayList<>();
        for (int p = 0; p < golden.numPositions(); p++) errors.add(PositionError.of(p, actual[p], golden.logits()[p]));

        PositionError worst = errors.stream().max((a, b) -> Double.compare(a.relativeError(), b.relativeError())).orElseThrow();
        long argmaxAgree = errors.stream().filter(PositionError::argmaxAgrees).count();
        System.out.printf("conformance %-24s %-28s max rel err %.2e at pos %d, argmax %d/%d%n",
                golden.name(), schedule, worst.relativeError(), worst.position(), argmaxAgree, errors.size());

        List<PositionError> bad = errors.stream()
                .filter(e -> !(e.relativeError() <= Tolerances.CPU_VS_HF_MAX_RELATIVE_ERROR) || !e.argmaxAgrees())
                .toList();
        assertTrue(bad.isEmpty(), () -> golden.name() + ", " + schedule + ": " + bad.size() + " of " + errors.size()
                + " positions exceed relative error " + Tolerances.CPU_VS_HF_MAX_RELATIVE_ERROR
                + " or disagree on argmax vs HF (" + golden.versions() + "):\n  "
                + String.join("\n  ", bad.stream().map(PositionError::toString).toList()));
    }

    /** The parameterized test above is only as good as the golden set: make sure none went missing. */
    @Test
    void everyGoldenIsListed() {
        Set<String> names = new TreeSet<>();
        for (LogitGolden g : LogitGolden.all()) names.add(g.name());
        assertEquals(new TreeSet<>(Set.of("llama3-rope-gqa4", "llama2-mha-tied-bf16", "mistral-gqa4-f16",
                "qwen2-bias-gqa2-tied", "qwen3-qknorm-hd32-bf16", "qwen3-gqa8-tied", "stories260k")), names);
    }
}
