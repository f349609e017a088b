#!/usr/bin/env python3
"""Golden logits from Hugging Face transformers for Pagoda's conformance tests.

What it writes (all under conformance/src/test/resources/):

  models/NAME/config.json         a small random-weight model of one supported architecture,
  models/NAME/model.safetensors   saved with save_pretrained (safetensors, in the dtype NAME says)
  models/NAME/golden.json         the prompt, shapes, versions and per-position argmax / max |logit|
  models/NAME/logits.f32          [numPositions, vocabSize] little-endian fp32: HF's logits at EVERY position
  goldens/stories260k/...         golden.json + logits.f32 for the bundled models/stories260k (model not copied)
  logit-goldens.json              the index the Java tests iterate over

How the goldens are computed: the model is saved first, then *reloaded from disk* with
dtype=float32 and attn_implementation="eager", so that BF16/F16 weights are widened exactly
the way Pagoda widens them and the goldens describe exactly the bytes in the repo. One forward
pass over the whole prompt in fp32 on CPU gives the logits of every position.

Deterministic: fixed seeds, single-threaded torch. Re-running rewrites identical files for the
same torch/transformers versions (recorded in every golden.json).

Usage:  /work/venv-hf/bin/python scripts/goldens/make_logit_goldens.py   (see README.md)
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import json
import math
import pathlib
import shutil

import torch
import transformers
from transformers import AutoModelForCausalLM

REPO = pathlib.Path(__file__).resolve().parents[2]
RESOURCES = REPO / "conformance" / "src" / "test" / "resources"

# Random models: each row is one architecture variant. Together they cover Llama with llama3
# rope_scaling, Llama-2-style plain RoPE, Mistral, Qwen2 with q/k/v bias, Qwen3 with q/k norm,
# tied and untied embeddings, GQA ratios 1, 2, 4 and 8, head_dim != hidden/heads, and weights
# stored as F32, BF16 and F16.
COMMON = dict(
    hidden_size=64,
    intermediate_size=96,
    num_hidden_layers=2,
    hidden_act="silu",
    max_position_embeddings=256,
    rms_norm_eps=1e-5,
    bos_token_id=1,
    eos_token_id=2,
    pad_token_id=None,
)

# llama3 scaling with head_dim 16 and theta 10000: wavelengths 2*pi*10000^(i/8) are
# 6.3, 19.9, 62.8, 199, 628, ...; with original_max_position_embeddings=64 the band edges are
# 64/high(4)=16 and 64/low(1)=64, so pair 0 is "high frequency" (kept), pairs 1-2 are in the
# smoothly interpolated band and pairs 3-7 are "low frequency" (divided by 8): all three occur.
MODELS = {
    "llama3-rope-gqa4": dict(
        arch="LlamaForCausalLM", dtype=torch.float32, vocab_size=320,
        config=dict(model_type="llama", num_attention_heads=4, num_key_value_heads=1, head_dim=16,
                    rope_theta=10000.0, tie_word_embeddings=False, attention_bias=False, mlp_bias=False,
                    rope_scaling=dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0,
                                      high_freq_factor=4.0, original_max_position_embeddings=64))),
    "llama2-mha-tied-bf16": dict(
        arch="LlamaForCausalLM", dtype=torch.bfloat16, vocab_size=256,
        config=dict(model_type="llama", num_attention_heads=4, num_key_value_heads=4, head_dim=16,
                    rope_theta=10000.0, tie_word_embeddings=True, attention_bias=False, mlp_bias=False,
                    rope_scaling=None)),
    "mistral-gqa4-f16": dict(
        arch="MistralForCausalLM", dtype=torch.float16, vocab_size=320,
        config=dict(model_type="mistral", num_attention_heads=8, num_key_value_heads=2, head_dim=8,
                    rope_theta=1000000.0, tie_word_embeddings=False, sliding_window=None)),
    "qwen2-bias-gqa2-tied": dict(
        arch="Qwen2ForCausalLM", dtype=torch.float32, vocab_size=288,
        config=dict(model_type="qwen2", num_attention_heads=4, num_key_value_heads=2,
                    rope_theta=1000000.0, tie_word_embeddings=True, use_sliding_window=False,
                    sliding_window=None, max_window_layers=2)),
    "qwen3-qknorm-hd32-bf16": dict(
        arch="Qwen3ForCausalLM", dtype=torch.bfloat16, vocab_size=352,
        config=dict(model_type="qwen3", num_attention_heads=4, num_key_value_heads=2, head_dim=32,
                    rope_theta=1000000.0, tie_word_embeddings=False, attention_bias=False,
                    use_sliding_window=False, sliding_window=None, max_window_layers=2)),
    "qwen3-gqa8-tied": dict(
        arch="Qwen3ForCausalLM", dtype=torch.float32, vocab_size=256,
        config=dict(model_type="qwen3", num_attention_heads=8, num_key_value_heads=1, head_dim=16,
                    rope_theta=1000000.0, tie_word_embeddings=True, attention_bias=False,
                    use_sliding_window=False, sliding_window=None, max_window_layers=2)),
}

PROMPT_LEN = 20          # with block size 4 in the tests: 5 blocks, positions well past the first few
WEIGHT_STD = 0.25        # linear weights ~ N(0, 0.25): logits spread over several units, argmax meaningful
EMBED_STD = 1.0          # embedding rows ~ N(0, 1), like a trained model's residual stream scale
NORM_JITTER = 0.2        # RMSNorm weights 1 + N(0, 0.2), so a backend that ignores them is caught
BIAS_STD = 0.1           # q/k/v biases (Qwen2); zero biases would hide a missing bias add
MIN_TOP2_GAP = 1e-4      # relative top-2 gap; a 1e-5 relative error can flip argmax only below 2e-5

# stories260K: BOS + "Once upon a time" + the first generated ids of expected-greedy.txt.
STORIES_PROMPT = [1, 403, 407, 261, 378]
STORIES_GENERATED = [432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337,
                     410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426]


def randomize(model: torch.nn.Module, seed: int) -> None:
    """Overwrites every parameter with seeded random values (HF's init is too small to be useful)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(model.named_parameters()):
            if "norm" in name:
                p.copy_(1.0 + NORM_JITTER * torch.randn(p.shape, generator=gen))
            elif name.endswith(".bias"):
                p.copy_(BIAS_STD * torch.randn(p.shape, generator=gen))
            elif "embed_tokens" in name:
                p.copy_(EMBED_STD * torch.randn(p.shape, generator=gen))
            else:
                p.copy_(WEIGHT_STD * torch.randn(p.shape, generator=gen))


def classic_config(hf_config_json: dict, spec: dict) -> dict:
    """config.json as real checkpoints on the Hub spell it (rope_theta + rope_scaling at top level).

    transformers 5 writes rope settings as `rope_parameters`; real Llama 3.1 / Qwen / Mistral
    checkpoints use `rope_theta` and `rope_scaling`, which is what Pagoda's loader must read, and
    transformers 5 still reads them (the reload below checks that it sees the same rope settings).
    """
    c = dict(hf_config_json)
    c.pop("rope_parameters", None)
    c.pop("transformers_version", None)
    c["rope_theta"] = spec["config"]["rope_theta"]
    c["rope_scaling"] = spec["config"].get("rope_scaling")
    c["torch_dtype"] = str(spec["dtype"]).removeprefix("torch.")
    c["dtype"] = c["torch_dtype"]
    return c


def rope_params(config) -> dict:
    """The rope settings transformers resolved, whatever the version's attribute is called."""
    rp = getattr(config, "rope_parameters", None)
    if rp is None:
        rp = dict(rope_theta=getattr(config, "rope_theta", None), rope_scaling=getattr(config, "rope_scaling", None))
    return json.loads(json.dumps(rp, default=str))


def reference_logits(model_dir: pathlib.Path, token_ids: list[int]) -> tuple[torch.Tensor, dict, list[float]]:
    """HF logits [numPositions, vocab] in fp32 on CPU from the model as saved on disk, its rope
    settings and its inv_freq [headDim / 2] (rope scaling applied)."""
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32, attn_implementation="eager")
    model.eval()
    with torch.no_grad():
        out = model(torch.tensor([token_ids], dtype=torch.long), use_cache=False)
    logits = out.logits[0].to(torch.float32).contiguous()
    assert logits.dtype == torch.float32 and all(p.dtype == torch.float32 for p in model.parameters())
    inv_freq = [float(f) for f in model.model.rotary_emb.inv_freq]
    return logits, rope_params(model.config), inv_freq


def llama3_bands(inv_freq: list[float], spec: dict) -> dict:
    """How many rotary pairs fall in each band of llama3 scaling: kept, interpolated, divided by factor."""
    c = spec["config"]
    head_dim, theta, factor = c["head_dim"], c["rope_theta"], c["rope_scaling"]["factor"]
    plain = [1.0 / theta ** (2 * i / head_dim) for i in range(head_dim // 2)]
    bands = {"high (kept)": 0, "medium (interpolated)": 0, "low (divided by factor)": 0}
    for f, f0 in zip(inv_freq, plain):
        ratio = f / f0
        key = ("high (kept)" if abs(ratio - 1) < 1e-5 else
               "low (divided by factor)" if abs(ratio * factor - 1) < 1e-5 else "medium (interpolated)")
        bands[key] += 1
    if min(bands.values()) == 0:
        raise SystemExit(f"llama3 scaling: not every frequency band occurs: {bands}")
    return bands


def top2_gaps(logits: torch.Tensor) -> list[float]:
    """Relative gap between best and second-best logit per position; near-ties make argmax a coin toss."""
    top = torch.topk(logits, 2, dim=-1).values
    return [float(g) for g in (top[:, 0] - top[:, 1]) / logits.abs().amax(dim=-1)]


def write_golden(out_dir: pathlib.Path, name: str, model_dir_rel: str, token_ids: list[int],
                 logits: torch.Tensor, extra: dict) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)
    raw = logits.numpy().astype("<f4").tobytes()
    (out_dir / "logits.f32").write_bytes(raw)
    gaps = top2_gaps(logits)
    if min(gaps) < MIN_TOP2_GAP:
        raise SystemExit(f"{name}: top-2 logits nearly tied (relative gap {min(gaps):.2e})")
    golden = {
        "name": name,
        "modelDir": model_dir_rel,
        "tokenIds": token_ids,
        "numPositions": logits.shape[0],
        "vocabSize": logits.shape[1],
        "logitsFile": "logits.f32",
        "logitsFormat": "little-endian float32, row-major [numPositions, vocabSize]; row p = logits after token p",
        "logitsSha256": hashlib.sha256(raw).hexdigest(),
        "argmax": [int(i) for i in logits.argmax(dim=-1)],
        "maxAbs": [float(r.abs().max()) for r in logits],
        "minTop2RelGap": min(gaps),
        "generator": {
            "script": "scripts/goldens/make_logit_goldens.py",
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "device": "cpu",
            "computeDtype": "float32",
            "attnImplementation": "eager",
        },
        **extra,
    }
    (out_dir / "golden.json").write_text(json.dumps(golden, indent=1) + "\n")
    return golden


def make_random_model(name: str, spec: dict, seed: int) -> dict:
    model_dir = RESOURCES / "models" / name
    if model_dir.exists():
        shutil.rmtree(model_dir)
    config_cls = transformers.AutoConfig.for_model
    # deep copy: transformers edits the rope_scaling dict it is given (adds rope_theta to it)
    cfg_args = dict(COMMON, vocab_size=spec["vocab_size"], initializer_range=WEIGHT_STD,
                    **{k: copy.deepcopy(v) for k, v in spec["config"].items() if k != "model_type"})
    config = config_cls(spec["config"]["model_type"], **cfg_args)
    config.architectures = [spec["arch"]]
    torch.manual_seed(seed)
    model = getattr(transformers, spec["arch"])(config)
    randomize(model, seed)
    if config.tie_word_embeddings:
        assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr()
    model = model.to(spec["dtype"])
    model.save_pretrained(model_dir, safe_serialization=True)
    for extra in model_dir.iterdir():  # keep only what the loader reads
        if extra.name not in ("config.json", "model.safetensors"):
            extra.unlink()
    saved = json.loads((model_dir / "config.json").read_text())
    (model_dir / "config.json").write_text(json.dumps(classic_config(saved, spec), indent=2, sort_keys=True) + "\n")

    # Draw prompts (ids 3.., never BOS/EOS) until no position has a near-tie at the top, so that
    # argmax agreement is a real check; the sequence of draws is seeded, hence deterministic.
    gen = torch.Generator().manual_seed(seed + 1)
    for attempt in range(20):
        token_ids = [int(t) for t in torch.randint(3, spec["vocab_size"], (PROMPT_LEN,), generator=gen)]
        logits, rope, inv_freq = reference_logits(model_dir, token_ids)
        if min(top2_gaps(logits)) >= MIN_TOP2_GAP:
            break
    else:
        raise SystemExit(f"{name}: every prompt drawn had a near-tie at the top; change the seed")
    extra = {"seed": seed, "architecture": spec["arch"], "weightDtype": str(spec["dtype"]).removeprefix("torch."),
             "ropeAsReadByTransformers": rope, "invFreq": inv_freq}
    expected_rope = spec["config"].get("rope_scaling")
    if expected_rope is not None:
        extra["llama3RopeBands"] = llama3_bands(inv_freq, spec)
        for k, v in expected_rope.items():
            if rope.get(k) != v and (rope.get("rope_scaling") or {}).get(k) != v:
                raise SystemExit(f"{name}: transformers read rope {rope}, expected {expected_rope}")
    return write_golden(model_dir, name, f"conformance/src/test/resources/models/{name}", token_ids, logits, extra)


def make_stories_golden() -> dict:
    model_dir = REPO / "models" / "stories260k"
    token_ids = STORIES_PROMPT + STORIES_GENERATED
    logits, rope, inv_freq = reference_logits(model_dir, token_ids)
    # Sanity: HF's greedy choice at every prompt-end/generated position is the next generated id.
    predicted = logits.argmax(dim=-1).tolist()
    for p in range(len(STORIES_PROMPT) - 1, len(token_ids) - 1):
        assert predicted[p] == token_ids[p + 1], f"stories260k: HF argmax at {p} is {predicted[p]}, not {token_ids[p + 1]}"
    return write_golden(RESOURCES / "goldens" / "stories260k", "stories260k", "models/stories260k", token_ids, logits,
                        {"architecture": "LlamaForCausalLM", "weightDtype": "float32",
                         "promptProvenance": "BOS + 'Once upon a time' + first generated ids of expected-greedy.txt",
                         "ropeAsReadByTransformers": rope})


def main() -> None:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    transformers.utils.logging.disable_progress_bar()
    torch.set_num_threads(1)  # one thread: a fixed reduction order, identical files on every run
    torch.use_deterministic_algorithms(True)
    index = []
    for seed, (name, spec) in enumerate(MODELS.items(), start=1000):
        g = make_random_model(name, spec, seed)
        index.append({"name": name, "golden": f"models/{name}"})
        print(f"{name:26s} vocab {g['vocabSize']:4d}  max|logit| {max(g['maxAbs']):7.3f}  minTop2RelGap {g['minTop2RelGap']:.3g}")
    g = make_stories_golden()
    index.append({"name": "stories260k", "golden": "goldens/stories260k"})
    print(f"{'stories260k':26s} vocab {g['vocabSize']:4d}  max|logit| {max(g['maxAbs']):7.3f}  minTop2RelGap {g['minTop2RelGap']:.3g}")
    (RESOURCES / "logit-goldens.json").write_text(json.dumps(
        {"comment": "written by scripts/goldens/make_logit_goldens.py; 'golden' is relative to conformance/src/test/resources",
         "goldens": index}, indent=1) + "\n")


if __name__ == "__main__":
    main()
