#!/usr/bin/env python3
"""Hugging Face transformers on the GPU, on the same random-weight model files Pagoda writes, for the
side-by-side run (scripts/gpu/side-by-side.sh). One process per model, so the weights load once.

    python3 hf-baseline.py MODEL_DIR OUT.jsonl --tasks ceilings,single,offline,ttft,batch,compile
                           [--deadline UNIX_SECONDS] [--offline 64x512x128,256x512x256]

Every task appends one JSON line to OUT.jsonl ({"engine": "hf-...", "task": ..., figures}); a task that
fails or would start past --deadline writes {"skipped": reason} instead, so a partial run still
reports. Greedy decoding with a fixed output length everywhere (min_new_tokens = max_new_tokens), the
prompts random token ids of the stated length, as Pagoda's `bench` sends.

Tasks:
  ceilings  copy bandwidth (torch copy_ of 1 GiB, read + write bytes per second, median of 20) and the
            bf16 GEMM peak (8192^3 torch.matmul, median of 10): the hardware limits of this run
  single    single-stream decode, eager generate(): prompt 128, 256 new tokens; decode tok/s =
            255 / (t(256 new) - t(1 new))
  compile   the same with a static KV cache and torch.compile(mode="reduce-overhead") over a hand-written
            decode loop, torch.compiler.cudagraph_mark_step_begin() before every step (without it the
            CUDA graph's outputs are overwritten: "accessing tensor output of CUDAGraphs that has been
            overwritten"); compile time reported apart
  offline   static batch generate(): B prompts x (IN in, OUT out) in one padded-free batch
  batch     the same workload through generate_batch() (continuous batching), if this version has it
  ttft      generate(max_new_tokens=1) at 128, 1024, 4096 prompt tokens, median of 3
"""
import argparse
import json
import statistics
import sys
import time
import traceback

import torch


def now():
    torch.cuda.synchronize()
    return time.perf_counter()


def emit(out, record):
    line = json.dumps(record)
    print(line, flush=True)
    with open(out, "a") as f:
        f.write(line + "\n")


def ceilings():
    n = 1 << 30
    a = torch.empty(n, dtype=torch.uint8, device="cuda")
    b = torch.empty_like(a)
    for _ in range(3):
        b.copy_(a)
    times = []
    for _ in range(20):
        t = now()
        b.copy_(a)
        times.append(now() - t)
    copy_gbs = 2 * n / statistics.median(times) / 1e9
    del a, b
    m = 8192
    x = torch.randn(m, m, dtype=torch.bfloat16, device="cuda")
    y = torch.randn(m, m, dtype=torch.bfloat16, device="cuda")
    for _ in range(3):
        x @ y
    times = []
    for _ in range(10):
        t = now()
        x @ y
        times.append(now() - t)
    tflops = 2 * m ** 3 / statistics.median(times) / 1e12
    return {"copy_gb_per_s": copy_gbs, "bf16_gemm_tflops": tflops, "device": torch.cuda.get_device_name(),
            "torch": torch.__version__}


def prompts(batch, length, vocab, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, vocab, (batch, length), generator=g).cuda()


def gen(model, ids, new):
    return model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=new, min_new_tokens=new,
                          do_sample=False, pad_token_id=0)


def single(model, vocab):
    ids = prompts(1, 128, vocab)
    gen(model, ids, 8)  # warm-up
    t = now(); gen(model, ids, 1); t1 = now() - t
    t = now(); out = gen(model, ids, 256); t256 = now() - t
    new = out.shape[1] - ids.shape[1]
    return {"prompt": 128, "new_tokens": new, "ttft_ms": t1 * 1e3, "total_s": t256,
            "decode_tokens_per_second": (new - 1) / (t256 - t1)}


def compiled_single(model, vocab, new=256):
    from transformers import StaticCache
    ids = prompts(1, 128, vocab)
    length = ids.shape[1]
    max_len = length + new + 8
    try:
        cache = StaticCache(config=model.config, max_cache_len=max_len)
    except TypeError:
        cache = StaticCache(config=model.config, max_batch_size=1, max_cache_len=max_len, device="cuda", dtype=torch.bfloat16)
    step = torch.compile(model.forward, mode="reduce-overhead", fullgraph=True)

    def run():
        cache.reset()
        pos = torch.arange(length, device="cuda")
        with torch.no_grad():
            out = model(input_ids=ids, past_key_values=cache, cache_position=pos, position_ids=pos.unsqueeze(0), use_cache=True)
            tok = out.logits[:, -1:].argmax(-1)
            t = now()
            for i in range(new - 1):
                p = torch.tensor([length + i], device="cuda")
                torch.compiler.cudagraph_mark_step_begin()
                out = step(input_ids=tok, past_key_values=cache, cache_position=p, position_ids=p.unsqueeze(0), use_cache=True)
                tok = out.logits[:, -1:].argmax(-1).clone()
            return now() - t

    t = time.perf_counter()
    run()  # compiles and captures
    compile_s = time.perf_counter() - t
    decode_s = run()
    return {"prompt": 128, "new_tokens": new, "compile_and_first_run_s": compile_s,
            "decode_tokens_per_second": (new - 1) / decode_s}


def offline(model, vocab, batch, inp, outp):
    ids = prompts(batch, inp, vocab, seed=1)
    gen(model, prompts(batch, inp, vocab, seed=2), 4)  # warm-up at this batch size
    t = now()
    out = gen(model, ids, outp)
    dt = now() - t
    new = (out.shape[1] - inp) * batch
    return {"batch": batch, "input_len": inp, "output_len": outp, "duration_s": dt, "output_tokens": new,
            "output_tokens_per_second": new / dt, "total_tokens_per_second": (new + batch * inp) / dt}


def generate_batch(model, vocab, batch, inp, outp):
    from transformers import GenerationConfig
    ids = prompts(batch, inp, vocab, seed=1).tolist()
    config = GenerationConfig(max_new_tokens=outp, min_new_tokens=outp, do_sample=False, eos_token_id=-1, pad_token_id=0)
    model.generate_batch(inputs=prompts(8, inp, vocab, seed=2).tolist(), generation_config=GenerationConfig(
        max_new_tokens=4, do_sample=False, eos_token_id=-1, pad_token_id=0), progress_bar=False)  # warm-up
    t = now()
    results = model.generate_batch(inputs=ids, generation_config=config, progress_bar=False)
    dt = now() - t
    new = sum(len(r.generated_tokens) for r in results.values())
    return {"batch": batch, "input_len": inp, "output_len": outp, "duration_s": dt, "output_tokens": new,
            "output_tokens_per_second": new / dt, "total_tokens_per_second": (new + batch * inp) / dt}


def ttft(model, vocab):
    res = {}
    for length in (128, 1024, 4096):
        ids = prompts(1, length, vocab, seed=3)
        gen(model, ids, 1)
        times = []
        for _ in range(3):
            t = now()
            gen(model, ids, 1)
            times.append(now() - t)
        res[str(length)] = statistics.median(times) * 1e3
    return {"ttft_ms": res}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("out")
    ap.add_argument("--tasks", default="ceilings,single,offline,batch,ttft,compile")
    ap.add_argument("--deadline", type=float, default=float("inf"))
    ap.add_argument("--offline", default="64x512x128")
    ap.add_argument("--label", default="")
    args = ap.parse_args()
    tasks = args.tasks.split(",")
    base = {"model": args.label or args.model}

    def task(name, engine, fn, **extra):
        record = dict(base, engine=engine, task=name, **extra)
        if time.time() > args.deadline:
            emit(args.out, dict(record, skipped="time budget of the run spent"))
            return
        try:
            emit(args.out, dict(record, **fn()))
        except Exception as e:  # record the failure (e.g. generate_batch missing) and go on
            traceback.print_exc()
            emit(args.out, dict(record, skipped=f"{type(e).__name__}: {str(e)[:300]}"))
        torch.cuda.empty_cache()

    if "ceilings" in tasks:
        task("ceilings", "torch", ceilings)
    if tasks == ["ceilings"]:
        return
    from transformers import AutoModelForCausalLM
    import transformers
    t = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(args.model, dtype=torch.bfloat16, device_map="cuda")
    model.eval()
    base["transformers"] = transformers.__version__
    base["load_s"] = time.perf_counter() - t
    vocab = model.config.vocab_size
    with torch.no_grad():
        if "single" in tasks:
            task("single", "hf-eager", lambda: single(model, vocab))
        for spec in args.offline.split(","):
            b, i, o = (int(x) for x in spec.split("x"))
            if "offline" in tasks:
                task("offline", "hf-eager-static-batch", lambda: offline(model, vocab, b, i, o))
            if "batch" in tasks:
                task("offline", "hf-generate_batch", lambda: generate_batch(model, vocab, b, i, o))
        if "ttft" in tasks:
            task("ttft", "hf-eager", lambda: ttft(model, vocab))
    if "compile" in tasks:
        task("single", "hf-static-compile", lambda: compiled_single(model, vocab))


if __name__ == "__main__":
    sys.exit(main())
