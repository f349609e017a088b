#!/usr/bin/env python3
"""The side-by-side run's bookkeeping (scripts/gpu/side-by-side.sh); standard library only.

    report.py convert PAGODA_RESULT.json LABEL TASK LOG   one results.jsonl line from a `pagoda bench` JSON
    report.py report RESULTS.jsonl CONFIGS_DIR            the markdown tables, with the ceilings' ratios

Bounds, from the model's config.json and the ceilings measured in the same run:
  weight bytes per token  bf16 bytes of every matrix a decode step reads: the layers' linear weights and
                          lm_head (the embedding row lookup is negligible; a tied model reads the
                          embedding matrix once, as lm_head)
  HBM bound (tok/s)       copy bandwidth / weight bytes per token (single stream reads every weight once)
  prefill FLOPs (T)       2 x linear params x T + 2 x layers x T^2 x heads x head_dim (causal QK^T and PV)
                          + 2 x hidden x vocab (lm_head, last token only)
  offline roofline        B prompts x (IN, OUT): prefill at the bf16 peak, then OUT decode steps each taking
                          max((weight bytes + KV cache read) / bandwidth, 2 x params x B / peak), the KV read at
                          the mean context IN + OUT/2 (bf16 K and V): output tokens / that time
"""
import json
import os
import sys


def convert(path, label, task, log):
    rec = {"engine": "pagoda", "model": label, "task": task}
    if not os.path.exists(path):
        tail = ""
        if os.path.exists(log):
            tail = " | ".join(open(log, errors="replace").read().strip().splitlines()[-3:])
        rec["skipped"] = "failed: " + tail[-400:]
    else:
        j = json.load(open(path))
        if j.get("benchmark") == "latency":
            rec.update(batch=j["batch_size"], input_len=j["input_len"], output_len=j["output_len"], avg_latency_s=j["avg_latency"],
                       mean_ttft_ms=j["mean_ttft_ms"], mean_tpot_ms=j["mean_tpot_ms"],
                       decode_tokens_per_second=j["decode_tokens_per_second_per_sequence"])
        else:
            rec.update(batch=j["num_prompts"], input_len=j["input_len"], output_len=j["output_len"], duration_s=j["duration"],
                       output_tokens=j["total_output_tokens"], output_tokens_per_second=j["output_throughput"],
                       total_tokens_per_second=j["total_token_throughput"], median_tpot_ms=j["median_tpot_ms"])
    print(json.dumps(rec))


def shape(configs, label):
    c = json.load(open(os.path.join(configs, label + ".json")))
    h, inter, layers, vocab = c["hidden_size"], c["intermediate_size"], c["num_hidden_layers"], c["vocab_size"]
    heads, kv = c["num_attention_heads"], c["num_key_value_heads"]
    hd = c.get("head_dim", h // heads)
    linear = layers * (h * heads * hd + 2 * h * kv * hd + heads * hd * h + 3 * h * inter)
    return {"linear": linear, "lm_head": h * vocab, "weight_bytes": 2 * (linear + h * vocab), "kv_bytes_per_token": layers * 2 * kv * hd * 2,
            "layers": layers, "heads": heads,
            "head_dim": hd, "hidden": h, "vocab": vocab}


def prefill_flops(s, t):
    return 2 * s["linear"] * t + 2 * s["layers"] * t * t * s["heads"] * s["head_dim"] + 2 * s["lm_head"]


def roofline(s, bw, peak, b, inp, outp):
    prefill = b * prefill_flops(s, inp) / peak
    kv = b * (inp + outp / 2) * s["kv_bytes_per_token"]  # the cache a decode step reads, on average
    step = max((s["weight_bytes"] + kv) / bw, 2 * (s["linear"] + s["lm_head"]) * b / peak)
    return b * outp / (prefill + outp * step)


def fmt(x, digits=1):
    return "—" if x is None else f"{x:,.{digits}f}"


def report(path, configs):
    rows = [json.loads(l) for l in open(path) if l.strip()]
    ceil = next((r for r in rows if r.get("task") == "ceilings" and "skipped" not in r), None)
    out = []
    if ceil:
        bw, peak = ceil["copy_gb_per_s"] * 1e9, ceil["bf16_gemm_tflops"] * 1e12
        out.append(f"Device: {ceil['device']}, torch {ceil['torch']}. Ceilings measured in this run: copy bandwidth "
                   f"{ceil['copy_gb_per_s']:,.0f} GB/s (read + write), bf16 GEMM {ceil['bf16_gemm_tflops']:,.0f} TFLOP/s (8192³).\n")
    else:
        bw = peak = None
        out.append("Ceilings: not measured (skipped).\n")
    labels = sorted({r["model"] for r in rows if r.get("model") and r.get("engine") != "torch"}, key=lambda m: m != "qwen2.5-0.5b")
    for label in labels:
        s = shape(configs, label)
        mine = [r for r in rows if r.get("model") == label]
        out.append(f"### {label} shape, bf16, random weights ({s['weight_bytes'] / 1e9:.2f} GB read per decode step)\n")
        bound = bw / s["weight_bytes"] if bw else None
        out.append("| single stream (prompt 128, 256 new) | decode tok/s | % of HBM bound | Pagoda ÷ this |")
        out.append("|---|---|---|---|")
        single = {r["engine"]: r for r in mine if r.get("task") == "single"}
        p = single.get("pagoda", {}).get("decode_tokens_per_second")
        for eng in ("pagoda", "hf-eager", "hf-static-compile"):
            r = single.get(eng)
            if r is None:
                continue
            if "skipped" in r:
                out.append(f"| {eng} | skipped: {r['skipped'][:160]} | | |")
                continue
            v = r["decode_tokens_per_second"]
            out.append(f"| {eng} | {fmt(v)} | {fmt(100 * v / bound) + ' %' if bound else '—'} | {fmt(p / v, 2) + '×' if p else '—'} |")
        if bound:
            out.append(f"| HBM bound | {fmt(bound)} | 100 % | |")
        out.append("")
        offline = [r for r in mine if r.get("task", "").startswith("offline")]
        shapes = sorted({(r["batch"], r["input_len"], r["output_len"]) for r in offline if "skipped" not in r})
        if shapes:
            out.append("| offline (prompts × in × out) | engine | output tok/s | total tok/s | % of roofline | Pagoda ÷ this |")
            out.append("|---|---|---|---|---|---|")
            for b, i, o in shapes:
                same = [r for r in offline if "skipped" not in r and (r["batch"], r["input_len"], r["output_len"]) == (b, i, o)]
                pv = next((r["output_tokens_per_second"] for r in same if r["engine"] == "pagoda"), None)
                roof = roofline(s, bw, peak, b, i, o) if bw else None
                for r in same:
                    v = r["output_tokens_per_second"]
                    out.append(f"| {b} × {i} × {o} | {r['engine']} | {fmt(v)} | {fmt(r['total_tokens_per_second'])} | "
                               f"{fmt(100 * v / roof) + ' %' if roof else '—'} | {fmt(pv / v, 2) + '×' if pv else '—'} |")
                if roof:
                    out.append(f"| {b} × {i} × {o} | roofline | {fmt(roof)} | | 100 % | |")
            out.append("")
        ttft = {}
        for r in mine:
            if "skipped" in r:
                continue
            if r.get("engine") == "pagoda" and r.get("task", "").startswith("ttft"):
                ttft.setdefault(r["input_len"], {})["pagoda"] = r["mean_ttft_ms"]
            if r.get("engine") == "hf-eager" and r.get("task") == "ttft":
                for n, ms in r["ttft_ms"].items():
                    ttft.setdefault(int(n), {})["hf-eager"] = ms
        if ttft:
            out.append("| TTFT (batch 1) | Pagoda ms | HF eager ms | Pagoda prefill TFLOP/s | % of bf16 peak |")
            out.append("|---|---|---|---|---|")
            for n in sorted(ttft):
                pm, hm = ttft[n].get("pagoda"), ttft[n].get("hf-eager")
                tf = prefill_flops(s, n) / (pm / 1e3) / 1e12 if pm else None
                out.append(f"| {n} tokens | {fmt(pm, 2)} | {fmt(hm, 2)} | {fmt(tf)} | {fmt(100 * tf * 1e12 / peak) + ' %' if tf and peak else '—'} |")
            out.append("")
        skipped = [r for r in mine if "skipped" in r and r.get("task") not in ("single",)]
        for r in skipped:
            out.append(f"- skipped: {r.get('engine')} {r.get('task', '')}: {r['skipped'][:200]}")
        out.append("")
    print("\n".join(out))


if __name__ == "__main__":
    if sys.argv[1] == "convert":
        convert(*sys.argv[2:6])
    else:
        report(sys.argv[2], sys.argv[3])
