"""Writes tiny random-weight Hugging Face models and their fp32 logits, for HfReferenceCheck.java.

A developer's sanity check of the CPU backend against transformers (the conformance module holds
the committed goldens). Usage, with torch + transformers in a venv outside the repo:

    /work/venv-cpu/bin/python backend-cpu/src/test/python/hf_reference.py /tmp/pagoda-hf-ref
    PAGODA_HF_REFERENCE=/tmp/pagoda-hf-ref ./pagoda mvn -q -B -pl backend-cpu -am test -Dtest=HfReferenceCheck

Each case directory holds model.safetensors (F32, or BF16 whose values the fp32 reference uses),
meta.json (the config in Pagoda's field names, the input ids) and logits.f32 ([numTokens, vocab], little-endian).
"""
import json
import os
import sys

import torch
from safetensors.torch import save_file
from transformers import (LlamaConfig, LlamaForCausalLM, MistralConfig, MistralForCausalLM,
                          Qwen2Config, Qwen2ForCausalLM, Qwen3Config, Qwen3ForCausalLM)

COMMON = dict(hidden_size=64, intermediate_size=96, num_hidden_layers=2, vocab_size=211,
              max_position_embeddings=256, rms_norm_eps=1e-6, rope_theta=10000.0)

CASES = {
    "llama-gqa2-f32": (LlamaForCausalLM, LlamaConfig(**COMMON, num_attention_heads=4, num_key_value_heads=2,
                                                      tie_word_embeddings=False), torch.float32),
    "llama3-scaled-gqa4-bf16": (LlamaForCausalLM, LlamaConfig(**COMMON, num_attention_heads=8, num_key_value_heads=2,
                                                               tie_word_embeddings=False,
                                                               rope_scaling=dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0,
                                                                                 high_freq_factor=4.0, original_max_position_embeddings=32)),
                                torch.bfloat16),
    "mistral-gqa2-f32": (MistralForCausalLM, MistralConfig(**COMMON, num_attention_heads=4, num_key_value_heads=2,
                                                            tie_word_embeddings=False, sliding_window=None), torch.float32),
    "qwen2-bias-tied-f16": (Qwen2ForCausalLM, Qwen2Config(**COMMON, num_attention_heads=4, num_key_value_heads=1,
                                                          tie_word_embeddings=True), torch.float16),
    "qwen3-qknorm-headdim32-f32": (Qwen3ForCausalLM, Qwen3Config(**COMMON, num_attention_heads=4, num_key_value_heads=2,
                                                                 head_dim=32, tie_word_embeddings=False), torch.float32),
}

DTYPE_NAMES = {torch.float32: "F32", torch.bfloat16: "BF16", torch.float16: "F16"}


def main(out_dir):
    for name, (cls, config, store_dtype) in CASES.items():
        torch.manual_seed(0)
        config._attn_implementation = "eager"
        model = cls(config).eval()
        with torch.no_grad():  # larger than the default init, so that every layer matters
            for n, p in model.named_parameters():
                if n.endswith("bias"):
                    p.copy_(torch.randn_like(p) * 0.3)
                elif p.dim() == 1:  # RMSNorm weights
                    p.copy_(1.0 + torch.randn_like(p) * 0.3)
                else:
                    p.copy_(torch.randn_like(p) * 0.1)
                p.copy_(p.to(store_dtype).to(torch.float32))  # the reference sees exactly the stored values
        ids = torch.tensor([[3, 17, 99, 5, 200, 42, 42, 7, 1, 150, 64, 9, 33]])
        with torch.no_grad():
            logits = model(ids).logits[0].float().contiguous()
        d = os.path.join(out_dir, name)
        os.makedirs(d, exist_ok=True)
        tensors = {n: p.detach().to(store_dtype).contiguous() for n, p in model.state_dict().items()}
        if config.tie_word_embeddings:
            tensors.pop("lm_head.weight", None)
        save_file(tensors, os.path.join(d, "model.safetensors"))
        rope = dict(getattr(config, "rope_parameters", None) or getattr(config, "rope_scaling", None) or {})
        rs = rope if rope.get("rope_type") == "llama3" else None
        meta = dict(architecture=cls.__name__, hiddenSize=config.hidden_size, intermediateSize=config.intermediate_size,
                    numHiddenLayers=config.num_hidden_layers, numAttentionHeads=config.num_attention_heads,
                    numKeyValueHeads=config.num_key_value_heads,
                    headDim=getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads,
                    vocabSize=config.vocab_size, rmsNormEps=config.rms_norm_eps,
                    ropeTheta=rope.get("rope_theta") or getattr(config, "rope_theta"),
                    ropeScaling=rs, tieWordEmbeddings=config.tie_word_embeddings,
                    attentionBias=cls is Qwen2ForCausalLM, qkNorm=cls is Qwen3ForCausalLM,
                    dtype=DTYPE_NAMES[store_dtype], inputIds=ids[0].tolist())
        with open(os.path.join(d, "meta.json"), "w") as f:
            json.dump(meta, f, indent=1)
        logits.numpy().astype("<f4").tofile(os.path.join(d, "logits.f32"))
        print(name, tuple(logits.shape), "max |logit|", float(logits.abs().max()))


if __name__ == "__main__":
    main(sys.argv[1])
