#!/usr/bin/env bash
# CPU side by side on this machine: Pagoda and Jlama (com.github.tjake:jlama-core, fetched by Maven
# into ~/.m2 when scripts/bench/jlama is built) decoding greedily, single stream, on the SAME
# random-weight safetensors model (Qwen2.5-0.5B shape, bf16, written by Pagoda's RandomModelWriter,
# with the Qwen2.5 tokenizer from the test fixtures), next to the DRAM read bandwidth measured in the
# same run (backend-cpu's JMH DecodeBenchmark.readBandwidth: every core summing a 512 MiB buffer).
#
# The machine is shared, so the measurements are interleaved in ROUNDS rounds (bandwidth, Jlama,
# bandwidth, Pagoda, bandwidth) and each round's ratios use that round's figures:
#   bound tok/s   = read bandwidth ÷ weight bytes per token (the safetensors file: every weight is read
#                   once per token; the tied embedding once, as lm_head); the bandwidth is the mean of
#                   the two reads right before and right after Pagoda's run, so that it saw the same load
#   Pagoda % of bound, Pagoda ÷ Jlama decode tok/s
# Both engines get a prompt of the same length (Jlama tokenizes the SOTU excerpt in PROMPT; Pagoda's
# `bench latency` sends that many random ids) and generate NEW tokens; decode speed is tokens after the
# first ÷ their time (Pagoda: 1000 / TPOT; Jlama: its Generator.Response generated tokens ÷ generate time).
#
#   scripts/bench/cpu-vs-jlama.sh [OUT_DIR]      (default: target/cpu-vs-jlama)
#   env: ROUNDS (3), NEW (64), PROMPT_CHARS (260), MODEL_DIR (target/bench-models/qwen2.5-0.5b)
# Writes OUT_DIR/results.jsonl (one line per measurement) and OUT_DIR/summary.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
out="${1:-$root/target/cpu-vs-jlama}"
rounds="${ROUNDS:-3}"
new="${NEW:-64}"
model="${MODEL_DIR:-$root/target/bench-models/qwen2.5-0.5b}"
fixtures="${PAGODA_FIXTURES:-$HOME/.cache/pagoda-fixtures}"
mkdir -p "$out"
: > "$out/results.jsonl"

echo "cpu-vs-jlama: building Pagoda and the Jlama runner" >&2
./pagoda build >/dev/null
./pagoda mvn -q -B -f scripts/bench/jlama/pom.xml package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt >&2
java_home="$(./pagoda mvn -v 2>/dev/null | sed -n 's/.*runtime: //p' | head -1)"
java="$java_home/bin/java"
jlama_cp="scripts/bench/jlama/target/pagoda-bench-jlama-0.1.0-SNAPSHOT.jar:$(cat scripts/bench/jlama/target/classpath.txt)"

if [ ! -f "$model/model.safetensors" ]; then
  [ -f "$fixtures/tokenizers/qwen2_5/tokenizer.json" ] || { echo "cpu-vs-jlama: no Qwen2.5 tokenizer in $fixtures (run ./pagoda fetch-fixtures)" >&2; exit 1; }
  "$java" -cp engine/target/classes dev.pagoda.engine.model.RandomModelWriter scripts/bench/configs/qwen2.5-0.5b.json "$model" bfloat16
  cp "$fixtures"/tokenizers/qwen2_5/tokenizer.json "$fixtures"/tokenizers/qwen2_5/tokenizer_config.json "$model/"
fi
weight_bytes=$(stat -c %s "$model/model.safetensors")
head -c "${PROMPT_CHARS:-260}" "$fixtures/corpus/sotu/1790_george_washington_n.txt" > "$out/prompt.txt"

run_bandwidth() {
  backend-cpu/bench.sh 'DecodeBenchmark.readBandwidth' -f 1 -wi 2 -i 3 -w 1 -r 2 -rf json -rff "$out/jmh.json" > "$out/jmh.log" 2>&1
  python3 - "$out/jmh.json" "$1" >> "$out/results.jsonl" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))[0]
gb = r["secondaryMetrics"]["gigabytes"]["score"]
print(json.dumps({"round": int(sys.argv[2]), "engine": "bandwidth", "read_gb_per_s": gb}))
PY
}

run_jlama() {
  "$java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$jlama_cp" dev.pagoda.benchjlama.JlamaDecode \
    "$model" "$out/prompt.txt" "$new" 1 F32 BF16 2> "$out/jlama-$1.log" | tail -1 > "$out/jlama.json"
  python3 - "$out/jlama.json" "$1" >> "$out/results.jsonl" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); r["round"] = int(sys.argv[2]); print(json.dumps(r))
PY
}

run_pagoda() { # $1 round, $2 prompt tokens
  ./pagoda bench latency --model "$model" --batch-size 1 --input-len "$2" --output-len "$new" --num-iters-warmup 1 --num-iters 2 \
    --result-json "$out/pagoda.json" > "$out/pagoda-$1.log" 2>&1
  python3 - "$out/pagoda.json" "$1" >> "$out/results.jsonl" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(json.dumps({"round": int(sys.argv[2]), "engine": "pagoda", "prompt_tokens": r["input_len"], "generated_tokens": r["output_len"],
                  "mean_ttft_ms": r["mean_ttft_ms"], "mean_tpot_ms": r["mean_tpot_ms"],
                  "decode_tokens_per_second": r["decode_tokens_per_second_per_sequence"]}))
PY
}

for r in $(seq 1 "$rounds"); do
  echo "cpu-vs-jlama: round $r of $rounds (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  run_bandwidth "$r"
  run_jlama "$r"
  prompt_tokens=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["prompt_tokens"])' "$out/jlama.json")
  run_bandwidth "$r"
  run_pagoda "$r" "$prompt_tokens"
  run_bandwidth "$r"
  echo "cpu-vs-jlama: end of round $r (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  tail -5 "$out/results.jsonl" >&2
done

python3 - "$out/results.jsonl" "$weight_bytes" "$(nproc)" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)" > "$out/summary.md" <<'PY'
import json, sys, statistics
rows = [json.loads(l) for l in open(sys.argv[1])]
wb = int(sys.argv[2])
print(f"CPU: {sys.argv[4].strip()}, {sys.argv[3]} cores; model: Qwen2.5-0.5B shape, bf16, random weights, {wb/1e6:.0f} MB read per token\n")
print("| round | read GB/s (before, after Pagoda) | bound tok/s | Pagoda tok/s | % of bound | Jlama tok/s | Pagoda ÷ Jlama |")
print("|---|---|---|---|---|---|---|")
pct, ratio = [], []
for r in sorted({x["round"] for x in rows}):
    by = {x["engine"]: x for x in rows if x["round"] == r}
    reads = [x["read_gb_per_s"] for x in rows if x["round"] == r and x["engine"] == "bandwidth"]
    near = reads[-2:]  # the reads right before and right after Pagoda
    bw = sum(near) / len(near); bound = bw * 1e9 / wb
    p = by["pagoda"]["decode_tokens_per_second"]; j = by["jlama"]["decode_tokens_per_second"]
    pct.append(100 * p / bound); ratio.append(p / j)
    print(f"| {r} | {bw:.1f} ({', '.join(f'{x:.1f}' for x in near)}) | {bound:.1f} | {p:.2f} | {100*p/bound:.1f} % | {j:.2f} | {p/j:.2f}× |")
print(f"\nmedian: Pagoda at {statistics.median(pct):.1f} % of the DRAM bound (target ≥ 80 %), "
      f"{statistics.median(ratio):.2f}× Jlama (target ≥ 1.2×)")
PY
cat "$out/summary.md"
