#!/usr/bin/env bash
# GPU side by side, on a bare GPU host, from the folder scripts/gpu/bench-bundle.sh built: Pagoda
# (`pagoda bench --device cuda`) and Hugging Face transformers (hf-baseline.py: eager generate, static
# batch, generate_batch, static cache + torch.compile) on the SAME random-weight safetensors files,
# written here by Pagoda's RandomModelWriter (Qwen2.5-0.5B and Llama-3-8B shapes, bf16; too big to
# carry), with the copy bandwidth and bf16 GEMM peak measured in the same run. Writes into OUT_DIR:
#   results.jsonl   one line per measurement (engine, task, figures, or "skipped" with the reason)
#   pagoda-*.json   the raw `bench --result-json` files; *.log the outputs
#   report.md       the table (report.py), with the ratios the issue's targets name
#   nvidia-smi.txt
# The whole run keeps to BUDGET seconds (default 290): work is ordered by priority (0.5B single stream
# and offline, then 8B single stream, then TTFT, 8B offline, 256-prompt offline, torch.compile) and a
# step that would start past the budget is recorded as skipped. STEPS=single-0.5b runs only the
# Qwen2.5-0.5B single stream (both engines), HF's TTFT and HF's static cache + torch.compile, with no
# model being written in the background (the full run writes the 8B meanwhile, which loads the host).
# STEPS=offline-8b runs only the Llama-3-8B offline workload, both engines, with the ceilings.
# The logs and raw JSON end in logs.tar.gz (the device machine returns few files).
#
#   bash side-by-side.sh OUT_DIR
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:?usage: side-by-side.sh OUT_DIR}"
budget="${BUDGET:-290}"
steps="${STEPS:-all}"
mkdir -p "$out"
start=$(date +%s)
deadline=$((start + budget))
left() { echo $((deadline - $(date +%s))); }
log() { echo "side-by-side [$(( $(date +%s) - start ))s]: $*" | tee -a "$out/progress.log" >&2; }

nvidia-smi > "$out/nvidia-smi.txt" 2>&1 || true
jre="$(mktemp -d)"
tar -xJf "$here/runtime.tar.xz" -C "$jre"
java="$jre/runtime/bin/java"
cp=""
for jar in "$here"/lib/*.jar; do cp="$cp${cp:+:}$jar"; done
jvm=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dpagoda.home="$here/repo")
models="${MODELS_DIR:-/tmp/pagoda-side-by-side}"
mkdir -p "$models"

write_model() { # NAME: config from configs/NAME.json, Qwen2.5 tokenizer (ids above a model's vocabulary are never sent)
  local dir="$models/$1"
  [ -f "$dir/model.safetensors" ] && return 0
  "$java" -cp "$cp" dev.pagoda.engine.model.RandomModelWriter "$here/configs/$1.json" "$dir" bfloat16 \
    && tar -xJf "$here/qwen2_5-tokenizer.tar.xz" -C "$dir"
}

pagoda() { # LABEL TASK SECONDS bench-args...: runs `pagoda bench` if the budget allows, converts its JSON
  local label="$1" task="$2" need="$3"; shift 3
  if [ "$(left)" -lt "$need" ]; then
    echo "{\"engine\":\"pagoda\",\"model\":\"$label\",\"task\":\"$task\",\"skipped\":\"time budget of the run spent\"}" >> "$out/results.jsonl"
    log "skipped pagoda $label $task"
    return
  fi
  log "pagoda $label $task: bench $*"
  local json="$out/pagoda-$label-$task.json"
  timeout "$(left)" "$java" "${jvm[@]}" -cp "$cp" dev.pagoda.cli.Main bench "$@" --device cuda --result-json "$json" \
    > "$out/pagoda-$label-$task.log" 2>&1
  python3 "$here/report.py" convert "$json" "$label" "$task" "$out/pagoda-$label-$task.log" >> "$out/results.jsonl"
}

hf() { # LABEL NEED_SECONDS hf-baseline args...
  local label="$1" need="$2"; shift 2
  if [ "$(left)" -lt "$need" ]; then
    echo "{\"engine\":\"hf\",\"model\":\"$label\",\"skipped\":\"time budget of the run spent\"}" >> "$out/results.jsonl"
    log "skipped hf $label $*"
    return
  fi
  log "hf $label $*"
  timeout "$(left)" python3 "$here/hf-baseline.py" "$models/$label" "$out/results.jsonl" --label "$label" --deadline "$((deadline - 15))" "$@" \
    >> "$out/hf-$label.log" 2>&1
}

q=qwen2.5-0.5b
l=llama-3-8b
common=(--max-num-batched-tokens 8192)
if [ "$steps" = single-0.5b ]; then
  write_model "$q" > "$out/write-$q.log" 2>&1
  pagoda "$q" single 20 latency --model "$models/$q" "${common[@]}" --batch-size 1 --input-len 128 --output-len 256 --num-iters-warmup 1 --num-iters 3
  hf "$q" 20 --tasks ceilings,single,ttft
  hf "$q" 30 --tasks compile
elif [ "$steps" = offline-8b ]; then
  write_model "$l" > "$out/write-$l.log" 2>&1
  pagoda "$l" offline-64x512x128 40 throughput --model "$models/$l" "${common[@]}" --num-prompts 64 --input-len 512 --output-len 128 --warmup
  hf "$l" 45 --tasks ceilings,offline --offline 64x512x128
else
log "writing $l in the background, $q now"
(write_model "$l" > "$out/write-$l.log" 2>&1) &
writer=$!
write_model "$q" > "$out/write-$q.log" 2>&1

# 1. Qwen2.5-0.5B: single stream and offline, both engines; the ceilings.
pagoda "$q" single 30 latency --model "$models/$q" "${common[@]}" --batch-size 1 --input-len 128 --output-len 256 --num-iters-warmup 1 --num-iters 3
pagoda "$q" offline-64x512x128 30 throughput --model "$models/$q" "${common[@]}" --num-prompts 64 --input-len 512 --output-len 128 --warmup
hf "$q" 60 --tasks ceilings,single,offline,batch --offline 64x512x128

# 2. Llama-3-8B single stream.
log "waiting for the $l writer"
while kill -0 "$writer" 2>/dev/null && [ "$(left)" -gt 90 ]; do sleep 1; done
if kill -0 "$writer" 2>/dev/null; then # too slow for the budget: no 8B figures this run
  kill "$writer"; wait "$writer"; rm -rf "$models/$l"
  log "the $l writer did not finish within the budget; its steps are skipped"
else
  wait "$writer"
  log "$l written ($(du -sh "$models/$l" | cut -f1))"
fi
pagoda "$l" single 45 latency --model "$models/$l" "${common[@]}" --batch-size 1 --input-len 128 --output-len 256 --num-iters-warmup 1 --num-iters 2
hf "$l" 45 --tasks single,ttft,offline --offline 64x512x128

# 3. TTFT (prefill) and the rest, as the budget allows.
pagoda "$l" ttft-4096 30 latency --model "$models/$l" "${common[@]}" --batch-size 1 --input-len 4096 --output-len 1 --num-iters-warmup 1 --num-iters 3
pagoda "$l" offline-64x512x128 40 throughput --model "$models/$l" "${common[@]}" --num-prompts 64 --input-len 512 --output-len 128 --warmup
for n in 128 1024 4096; do
  pagoda "$q" "ttft-$n" 15 latency --model "$models/$q" "${common[@]}" --batch-size 1 --input-len "$n" --output-len 1 --num-iters-warmup 1 --num-iters 3
done
pagoda "$q" offline-256x512x256 30 throughput --model "$models/$q" "${common[@]}" --num-prompts 256 --input-len 512 --output-len 256 --warmup
hf "$q" 40 --tasks ttft,batch --offline 256x512x256
hf "$q" 60 --tasks compile
fi

python3 "$here/report.py" report "$out/results.jsonl" "$here/configs" > "$out/report.md"
cat "$out/report.md"
(cd "$out" && tar -czf logs.tar.gz --remove-files $(ls | grep -v -E '^(results.jsonl|report.md|progress.log|nvidia-smi.txt)$'))
rm -rf "$jre" "$models" # the models are re-written in seconds; leave the host's disk as found
log "done"
