#!/usr/bin/env bash
# On a bare GPU host, from the folder scripts/gpu/bench-bundle.sh built: the two side-by-side figures
# side-by-side.sh leaves out, on the Qwen2.5-0.5B shape (random bf16 weights written here):
#   1. the offline batch sweep, 1…256 prompts of (512 in, 128 out) at once: Pagoda
#      (`bench throughput --sweep-batch`, CUDA) and HF transformers eager `generate` with a static batch
#      of the same size (hf-baseline.py --tasks offline); sweep.png draws both (matplotlib, there);
#   2. HTTP vs offline on the same workload: `bench throughput` in-process, then `serve --device cuda`
#      loaded by `bench serve` (all requests at once, streaming, as vLLM's bench serve does).
# Writes into OUT_DIR: pagoda-sweep.json/.png/.log, hf-sweep.jsonl/.log, sweep.png, offline.json,
# serve-bench.json, serve.log, offline-gc.log, server-gc.log, summary.md.
#
#   bash sweep-and-http.sh OUT_DIR        (SERVE_ARGS="--stream-interval 8" adds flags to serve;
#                                          SIZES=none skips the sweep, SIZES=1,4,16 picks its batches;
#                                          NUM_PROMPTS=1024 the HTTP-vs-offline workload's size, default 256;
#                                          JFR=1 records offline.jfr and server.jfr;
#                                          JVM_OPTS="-XX:+UseZGC" adds flags to both JVMs, offline and server)
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:?usage: sweep-and-http.sh OUT_DIR}"
mkdir -p "$out"
sizes="${SIZES:-1,4,16,64,256}"
jre="$(mktemp -d)"
tar -xJf "$here/runtime.tar.xz" -C "$jre"
java="$jre/runtime/bin/java"
cp=""
for jar in "$here"/lib/*.jar; do cp="$cp${cp:+:}$jar"; done
jvm=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dpagoda.home="$here/repo")
m="${MODELS_DIR:-/tmp/pagoda-side-by-side}/qwen2.5-0.5b"
if [ ! -f "$m/model.safetensors" ]; then
  "$java" -cp "$cp" dev.pagoda.engine.model.RandomModelWriter "$here/configs/qwen2.5-0.5b.json" "$m" bfloat16 > "$out/write.log" 2>&1 \
    && tar -xJf "$here/qwen2_5-tokenizer.tar.xz" -C "$m"
fi
engine=(--model "$m" --device cuda --max-num-seqs 256 --max-num-batched-tokens 8192)
work=(--input-len 512 --output-len 128)

if [ "$sizes" != none ]; then
echo "== 1. batch sweep $sizes" >&2
timeout "${SWEEP_TIMEOUT:-150}" "$java" "${jvm[@]}" -cp "$cp" dev.pagoda.cli.Main bench throughput "${engine[@]}" "${work[@]}" \
  --sweep-batch "$sizes" --warmup --result-json "$out/pagoda-sweep.json" --plot "$out/pagoda-sweep.png" > "$out/pagoda-sweep.log" 2>&1 \
  || echo "pagoda sweep: status $?" >&2
for n in ${sizes//,/ }; do
  timeout 60 python3 "$here/hf-baseline.py" "$m" "$out/hf-sweep.jsonl" --label qwen2.5-0.5b --tasks offline --offline "${n}x512x128" \
    >> "$out/hf-sweep.log" 2>&1 || echo "hf batch $n: status $?" >&2
done
fi

n="${NUM_PROMPTS:-256}"
echo "== 2. HTTP vs offline, $n x (512, 128)" >&2
# JFR=1: a profile of each JVM (offline.jfr, server.jfr); the GC log of both is always written.
jfr() { [ "${JFR:-0}" = 1 ] && echo "-XX:StartFlightRecording=filename=$out/$1.jfr,settings=profile"; }
timeout 90 "$java" "${jvm[@]}" ${JVM_OPTS:-} -Xlog:gc,gc+phases:file="$out/offline-gc.log" $(jfr offline) -cp "$cp" dev.pagoda.cli.Main bench throughput "${engine[@]}" "${work[@]}" \
  --num-prompts "$n" --warmup --result-json "$out/offline.json" > "$out/offline.log" 2>&1 || echo "offline: status $?" >&2
"$java" "${jvm[@]}" ${JVM_OPTS:-} -Xlog:gc,gc+phases:file="$out/server-gc.log" $(jfr server) -cp "$cp" dev.pagoda.cli.Main serve "$m" --device cuda --port 8011 \
  --max-num-seqs 256 --max-num-batched-tokens 8192 ${SERVE_ARGS:-} > "$out/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 120); do curl -sf localhost:8011/health > /dev/null && break; sleep 1; done
# As offline's --warmup: the same workload once more first, other prompts (--num-warmups draws them
# with seed + 1; the same ones would leave the measured run nothing to prefill, all of it in the
# prefix cache). bench serve reads the server's engine counters around the measured run alone.
timeout 120 "$java" "${jvm[@]}" -cp "$cp" dev.pagoda.cli.Main bench serve --base-url http://127.0.0.1:8011 --tokenizer "$m" \
  "${work[@]}" --num-prompts "$n" --num-warmups "$n" --result-json "$out/serve-bench.json" > "$out/serve-bench.log" 2>&1 || echo "bench serve: status $?" >&2
kill "$server"; wait "$server" 2>/dev/null
rm -rf "$jre"

python3 - "$out" <<'PY'
import json, sys, os
out = sys.argv[1]
lines = ["| batch | Pagoda output tok/s | HF eager static batch output tok/s | Pagoda ÷ HF |", "|---|---|---|---|"]
pag = {}
try:
    j = json.load(open(f"{out}/pagoda-sweep.json"))
    for r in j["results"]:
        pag[int(r["num_prompts"])] = r["output_throughput"]
except Exception as e:
    print("no pagoda sweep:", e)
hf = {}
try:
    for line in open(f"{out}/hf-sweep.jsonl"):
        r = json.loads(line)
        o = r.get("offline") or r
        if "batch" in o and "output_tokens_per_second" in o:
            hf[int(o["batch"])] = o["output_tokens_per_second"]
except Exception as e:
    print("no hf sweep:", e)
for b in sorted(set(pag) | set(hf)):
    p, h = pag.get(b), hf.get(b)
    lines.append(f"| {b} | {p:,.1f} | {h:,.1f} | {p / h:.2f}× |" if p and h else f"| {b} | {p or '—'} | {h or '—'} | — |")
try:
    off = json.load(open(f"{out}/offline.json")); srv = json.load(open(f"{out}/serve-bench.json"))
    lines += ["", f"HTTP vs offline, {off['num_prompts']} × (512, 128): offline {off['output_throughput']:,.1f} output tok/s, "
              f"HTTP (bench serve, streaming) {srv['output_throughput']:,.1f} → {100 * srv['output_throughput'] / off['output_throughput']:.1f} %"]
except Exception as e:
    lines.append(f"HTTP vs offline: missing ({e})")
try:
    lines += ["", "Engine thread per step (µs, every step of the measured run), offline vs HTTP:",
              f"offline: {int(off['all_steps'])} steps, schedule {off['all_step_schedule_us']:.0f}, forward {off['all_step_forward_us']:.0f}, update {off['all_step_update_us']:.0f}",
              f"HTTP:    {srv['server_engine_steps']} steps, schedule {srv['server_step_schedule_us']:.0f}, forward {srv['server_step_forward_us']:.0f}, update {srv['server_step_update_us']:.0f}",
              f"HTTP run's prefix-cache hits: {srv['server_prefix_cache_hits']} of {srv['server_prefix_cache_queries']} prompt tokens"]
    for name in ("offline", "server"):
        pauses = [float(l.rsplit(" ", 1)[1].rstrip("ms\n")) for l in open(f"{out}/{name}-gc.log") if "Pause" in l and l.rstrip().endswith("ms")]
        lines.append(f"{name} JVM: {len(pauses)} GC pauses, {sum(pauses):.1f} ms in all (the whole process, warm-up included)")
except Exception as e:
    lines.append(f"engine step split: missing ({e})")
open(f"{out}/summary.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
try:
    import matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, d in (("Pagoda (CUDA)", pag), ("HF transformers eager, static batch", hf)):
        if d: ax.plot(sorted(d), [d[k] for k in sorted(d)], marker="o", label=name)
    ax.set_xscale("log", base=2); ax.set_yscale("log"); ax.set_xlabel("prompts at once (batch), 512 in / 128 out")
    ax.set_ylabel("output tokens/s"); ax.set_title("Qwen2.5-0.5B shape, bf16, H100: offline throughput vs batch")
    ax.grid(True, which="both", alpha=0.3); ax.legend(); fig.tight_layout(); fig.savefig(f"{out}/sweep.png", dpi=110)
except Exception as e:
    print("no plot:", e)
PY
