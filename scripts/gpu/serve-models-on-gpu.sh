#!/usr/bin/env bash
# Runs on a bare GPU host, from the folder scripts/gpu/bundle.sh built: issue 6's conformance and
# serving checks in one call, each bounded in time, results into OUT_DIR:
#   1. gpu-tests.log          the GPU tests of the conformance suite and device sampling
#                             (CudaSamplerTest, CudaEngineSamplingTest, CudaConformanceTest, CudaSelfCheckTest,
#                             CudaGraphDecodeTest, CudaStories260kGreedyTest)
#   2. conformance-cuda.txt   ./pagoda conformance --device cuda on stories260K (the report)
#   3. stories260k/           serve --device cuda on the default model with sampling on the device
#                             (-Dpagoda.cuda.sampling=device): serve.log, transcript.txt, ...
#   4. llama3-8b-dummy/       serve --device cuda on a random-weight Llama-3-8B-shaped model
#                             (--load-format dummy; the bundle's models/llama3-8b-dummy holds Llama 3.1
#                             8B's config.json and tokenizer) with --max-model-len 4096
#   nvidia-smi.txt
# Exit status: 0 when every part passed.
#
#   bash serve-models-on-gpu.sh OUT_DIR
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:?usage: serve-models-on-gpu.sh OUT_DIR}"
mkdir -p "$out"
nvidia-smi > "$out/nvidia-smi.txt" 2>&1 || true
jre="$(mktemp -d)"
tar -xJf "$here/runtime.tar.xz" -C "$jre"
java="$jre/runtime/bin/java"
cp="$here/test-classes/backend-cuda:$here/test-classes/conformance"
for jar in "$here"/lib/*.jar; do cp="$cp:$jar"; done
jvm=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dpagoda.repoRoot="$here/repo" -Dpagoda.home="$here/repo" -Xss8m)
status=0

echo "== 1. GPU tests" >&2
selects=()
for c in backend.cuda.CudaSamplerTest conformance.cuda.CudaEngineSamplingTest conformance.cuda.CudaConformanceTest \
         conformance.cuda.CudaSelfCheckTest conformance.cuda.CudaGraphDecodeTest conformance.cuda.CudaStories260kGreedyTest; do
  selects+=(--select-class "dev.pagoda.$c")
done
timeout "${TESTS_TIMEOUT:-170}" "$java" "${jvm[@]}" -jar "$here/junit/junit-platform-console-standalone.jar" execute \
  --class-path "$cp" "${selects[@]}" --include-tag gpu --details=tree --disable-banner --disable-ansi-colors \
  > "$out/gpu-tests.log" 2>&1 || { echo "GPU tests: status $?" >&2; status=1; }
tail -15 "$out/gpu-tests.log" >&2

echo "== 2. ./pagoda conformance --device cuda" >&2
timeout "${CLI_TIMEOUT:-60}" "$java" "${jvm[@]}" -cp "$cp" dev.pagoda.cli.Main conformance --device cuda --report "$out/conformance-cuda.txt" \
  > "$out/conformance-cuda.log" 2>&1 || { echo "conformance: status $?" >&2; status=1; }
tail -5 "$out/conformance-cuda.log" >&2
rm -rf "$jre"

echo "== 3. serve stories260K, sampling on the device" >&2
PORT=8000 READY_TIMEOUT=60 PAGODA_JAVA_OPTS="-Dpagoda.cuda.sampling=device" timeout "${SMALL_TIMEOUT:-90}" bash "$here/serve-on-gpu.sh" "$out/stories260k" \
  || { echo "serve stories260k: status $?" >&2; status=1; }

echo "== 4. serve a random-weight Llama-3-8B-shaped model" >&2
if [ -f "$here/repo/models/llama3-8b-dummy/config.json" ]; then
  model="$(mktemp -d)/llama3-8b-dummy"
  mkdir -p "$model"
  cp "$here/repo/models/llama3-8b-dummy/"*.json "$model/"
  xz -dc "$here/repo/models/llama3-8b-dummy/tokenizer.json.xz" > "$model/tokenizer.json"
  PORT=8001 READY_TIMEOUT=200 timeout "${BIG_TIMEOUT:-240}" bash "$here/serve-on-gpu.sh" "$out/llama3-8b-dummy" \
    --model "$model" --load-format dummy --max-model-len 4096 || { echo "serve 8B: status $?" >&2; status=1; }
  rm -rf "$(dirname "$model")"
else
  echo "no models/llama3-8b-dummy in the bundle (the Llama 3.1 tokenizer fixture was missing when it was built)" | tee "$out/llama3-8b-dummy.txt" >&2
  status=1
fi
exit "$status"
