#!/usr/bin/env bash
# Runs on a bare GPU host, from the folder scripts/gpu/bundle.sh built: unpacks the Java runtime,
# runs every test tagged "gpu" (backend-cuda's kernel tests, conformance's CUDA-vs-CPU suite),
# then the decode benchmark, and writes into OUT_DIR:
#   gpu-tests.log        the JUnit console output (a tree of tests and the conformance report)
#   junit/TEST-junit-jupiter.xml
#   benchmark.txt        decode speed (Qwen2.5-0.5B and Llama-3-8B shapes), copy bandwidth, HBM bound
#   attention.txt        the decode attention kernels alone (batch 64 / 4k context / GQA 8 and others)
#   gemv.txt             one-row linear layers per shape: cuBLAS vs Gemv.cu
#   nvidia-smi.txt       the device as found
#   ncu-fused.csv, ncu-unfused.csv   with PROFILE=1: per-kernel GPU time of one eager decode step
# BENCH="qwen llama8b" picks the decode benchmark's models (default both); BENCH=none skips it.
# BENCH containing "prefill" runs CudaPrefillBenchmark first, before the tests (prefill.txt: GEMM peak,
# prefill vs one-pass attention, 8B / 0.5B prompt forward passes); BENCH=prefill: that benchmark and the tests, no other benchmark.
# Exit status: JUnit's (0 when every test passed).
#
#   bash run-on-gpu.sh OUT_DIR [decodeSteps]
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:?usage: run-on-gpu.sh OUT_DIR [decodeSteps]}"
steps="${2:-256}"
mkdir -p "$out/junit"
jre="$(mktemp -d)"
tar -xJf "$here/runtime.tar.xz" -C "$jre"
java="$jre/runtime/bin/java"
nvidia-smi > "$out/nvidia-smi.txt" 2>&1 || true

cp="$here/test-classes/backend-cuda:$here/test-classes/conformance"
for jar in "$here"/lib/*.jar; do cp="$cp:$jar"; done
jvm=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dpagoda.repoRoot="$here/repo" -Xss8m)

bench="${BENCH:-qwen llama8b}"
case " $bench " in *" prefill "*)
  "$java" "${jvm[@]}" -cp "$cp" dev.pagoda.backend.cuda.CudaPrefillBenchmark 2>&1 | tee "$out/prefill.txt"
  bench="$(echo " $bench " | sed 's/ prefill / /; s/^ *//; s/ *$//')"; [ -n "$bench" ] || bench=none ;;
esac

"$java" "${jvm[@]}" -jar "$here/junit/junit-platform-console-standalone.jar" execute \
  --class-path "$cp" --scan-class-path "$here/test-classes/backend-cuda:$here/test-classes/conformance" \
  --include-tag gpu --exclude-engine junit-vintage --exclude-engine junit-platform-suite --details=tree --disable-banner --disable-ansi-colors \
  --reports-dir "$out/junit" 2>&1 | tee "$out/gpu-tests.log"
status=${PIPESTATUS[0]}

if [ "$bench" != none ]; then
  # shellcheck disable=SC2086
  "$java" "${jvm[@]}" -cp "$cp" dev.pagoda.backend.cuda.CudaDecodeBenchmark "$steps" $bench 2>&1 | tee "$out/benchmark.txt"
  "$java" "${jvm[@]}" -cp "$cp" dev.pagoda.backend.cuda.PagedAttentionBenchmark 2>&1 | tee "$out/attention.txt"
  "$java" "${jvm[@]}" -cp "$cp" dev.pagoda.backend.cuda.GemvBenchmark 2>&1 | tee "$out/gemv.txt"
fi
# Per-kernel GPU time of one eager decode step (Nsight Compute, where installed): 24 steps of decode,
# one step in the middle profiled. Fused: ~146 launches a step after a prefill of ~250; unfused: ~240.
if [ "${PROFILE:-0}" = 1 ] && command -v ncu >/dev/null; then
  ncu --metrics gpu__time_duration.sum --launch-skip 1710 --launch-count 146 --csv \
    "$java" "${jvm[@]}" -cp "$cp" dev.pagoda.backend.cuda.CudaDecodeBenchmark 24 eager-only > "$out/ncu-fused.csv" 2>&1
  ncu --metrics gpu__time_duration.sum --launch-skip 3500 --launch-count 240 --csv \
    "$java" "${jvm[@]}" -cp "$cp" dev.pagoda.backend.cuda.CudaDecodeBenchmark 24 eager-only unfused > "$out/ncu-unfused.csv" 2>&1
fi
rm -rf "$jre"
exit "$status"
