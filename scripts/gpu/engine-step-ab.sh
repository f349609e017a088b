#!/usr/bin/env bash
# Single-stream decode through the whole engine (`pagoda bench latency`, greedy, sampling on the
# device), on a bare GPU host, with two builds of backend-cuda side by side in one run: the bundle's
# own (lib/) and a baseline jar (BASELINE, default baseline-backend-cuda.jar beside this script),
# alternated ROUNDS times (default 2) so that both see the same machine. Models: Qwen2.5-0.5B and
# Llama-3-8B shapes with random weights drawn at load (--load-format dummy; configs/ and the Qwen2.5
# tokenizer from scripts/gpu/bench-bundle.sh). Also prints the copy-kernel bandwidth and each model's
# weight bytes (CudaDecodeBenchmark's bound), so the tokens/s read against the HBM bound of the same run.
# Writes OUT_DIR/ab.jsonl (one line per run: build, model, tok/s, the engine's step split) and the logs.
#
#   bash engine-step-ab.sh OUT_DIR            MODELS="qwen2.5-0.5b llama-3-8b" ROUNDS=2
# BASELINE_OPTS="-Dpagoda.cuda.X=false": JVM options of the baseline runs; without a baseline jar the
# baseline is then the same build with those options (a switch off against on).
# (DEVICE=cpu with a small config in configs/ tries the script itself on a machine without a GPU.)
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:?usage: engine-step-ab.sh OUT_DIR}"
baseline="${BASELINE:-$here/baseline-backend-cuda.jar}"
rounds="${ROUNDS:-2}"
models="${MODELS:-qwen2.5-0.5b llama-3-8b}"
device="${DEVICE:-cuda}"
mkdir -p "$out"
read -r -a baseline_opts <<< "${BASELINE_OPTS:-}"
[ -f "$baseline" ] || [ ${#baseline_opts[@]} -gt 0 ] || { echo "engine-step-ab: no baseline jar at $baseline" >&2; exit 2; }
jre="$(mktemp -d)"
tar -xJf "$here/runtime.tar.xz" -C "$jre"
java="$jre/runtime/bin/java"
current="" base=""
for jar in "$here"/lib/*.jar; do
  current="$current${current:+:}$jar"
  case "$jar" in */pagoda-backend-cuda-*) [ -f "$baseline" ] && jar="$baseline" ;; esac
  base="$base${base:+:}$jar"
done
jvm=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED)
work="$(mktemp -d)"
for m in $models; do
  mkdir -p "$work/$m"
  cp "$here/configs/$m.json" "$work/$m/config.json"
  tar -xJf "$here/qwen2_5-tokenizer.tar.xz" -C "$work/$m"
done

for round in $(seq 1 "$rounds"); do
  for m in $models; do
    for build in current baseline; do
      cp_="$current" opts=()
      [ "$build" = baseline ] && cp_="$base" opts=("${baseline_opts[@]}")
      log="$out/$m-$build-$round.log" json="$out/$m-$build-$round.json"
      timeout 240 "$java" "${jvm[@]}" "${opts[@]}" -cp "$cp_" dev.pagoda.cli.Main bench latency --model "$work/$m" --load-format dummy \
        --device "$device" --max-num-batched-tokens 8192 --batch-size 1 --input-len 128 --output-len 256 \
        --num-iters-warmup 1 --num-iters 3 --result-json "$json" > "$log" 2>&1
      tps=$(python3 -c "import json,sys; print(round(json.load(open('$json'))['decode_tokens_per_second_per_sequence'],1))" 2>/dev/null || echo failed)
      split=$(grep -o 'decode step host time.*' "$log" | head -1)
      echo "{\"round\": $round, \"model\": \"$m\", \"build\": \"$build\", \"decode_tok_s\": \"$tps\", \"split\": \"$split\"}" | tee -a "$out/ab.jsonl"
    done
  done
done
rm -rf "$jre" "$work"
