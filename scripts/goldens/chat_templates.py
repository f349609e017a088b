#!/usr/bin/env python3
"""Generates the chat-template goldens under engine/src/test/resources/chat/.

Renders real chat templates with Hugging Face transformers + jinja2 (the reference Pagoda's Java
interpreter must match character for character) over a fixed set of conversations, with
add_generation_prompt on and off, and writes inputs + expected outputs (or the expected error)
as JSON so the Java tests run in CI without Python.

  python3 -m venv /work/venv-jinja && /work/venv-jinja/bin/pip install transformers jinja2 tokenizers
  /work/venv-jinja/bin/python scripts/goldens/chat_templates.py

Inputs: ../shared/fixtures/chat-templates/*.jinja (rendered with transformers'
render_jinja_template and the special tokens below) and the fetched tokenizers
~/.cache/pagoda-fixtures/tokenizers/*/tokenizer_config.json that carry a chat_template
(rendered with tokenizer.apply_chat_template(tokenize=False)).

strftime_now is pinned to FIXED_NOW; the Java tests pin the same instant.
"""

import datetime as _dt
import json
import os
import sys
from pathlib import Path

import jinja2
import transformers
from transformers import AutoTokenizer
from transformers.utils import chat_template_utils

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("PAGODA_SHARED_FIXTURES", REPO.parent / "shared" / "fixtures"))
FETCHED = Path(os.environ.get("PAGODA_FETCHED_FIXTURES", Path.home() / ".cache" / "pagoda-fixtures"))
OUT = REPO / "engine" / "src" / "test" / "resources" / "chat"

# The instant strftime_now() sees while generating goldens (a single-digit day tests %d padding).
FIXED_NOW = _dt.datetime(2025, 3, 5, 14, 7, 9)


class _FixedDatetime(_dt.datetime):
    @classmethod
    def now(cls, tz=None):
        return FIXED_NOW


chat_template_utils.datetime = _FixedDatetime

# Special tokens for the standalone templates (they come without a tokenizer); recorded in the goldens.
SPECIAL_TOKENS = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>"}

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name, e.g. \"Zürich\""},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer", "description": "Forecast days", "default": 1},
            },
            "required": ["city"],
        },
    },
}
SEARCH_TOOL = {
    "type": "function",
    "function": {
        "name": "search",
        "description": "Search the web.\nReturns the top results.",
        "parameters": {
            "type": "object",
            "properties": {"query": {"type": "string"}, "limit": {"type": "number", "description": "at most 10.5"}},
            "required": ["query"],
        },
        "return": {"type": "array", "items": {"type": "string"}},
    },
}

TOOL_CALL = {
    "id": "call12345",
    "type": "function",
    "function": {"name": "get_weather", "arguments": {"city": "Zürich", "unit": "celsius", "days": 2}},
}

# Each conversation: messages, and tools (or None).
CONVERSATIONS = {
    "single_user": {"messages": [{"role": "user", "content": "Hello!"}], "tools": None},
    "system_user": {
        "messages": [
            {"role": "system", "content": "You are a helpful assistant. Answer briefly."},
            {"role": "user", "content": "What is the capital of France?"},
        ],
        "tools": None,
    },
    "multi_turn": {
        "messages": [
            {"role": "system", "content": "  You are Pagoda, a terse assistant.\n"},
            {"role": "user", "content": "Hi there"},
            {"role": "assistant", "content": "Hello! How can I help?"},
            {"role": "user", "content": "Tell me a joke.\n\n"},
            {"role": "assistant", "content": "Why did the tensor cross the road? To broadcast."},
            {"role": "user", "content": "Another one"},
        ],
        "tools": None,
    },
    "unicode": {
        "messages": [
            {"role": "user", "content": "Grüße! 日本語のテキスト, עברית, العربية, emoji 👩‍👩‍👧‍👦 👍🏽, e\u0301, \"quotes\" and \\backslash\\ \ttab"},
            {"role": "assistant", "content": "¡Hola! Ça va? 😀 — “smart quotes” ‹›"},
            {"role": "user", "content": "</s> <|im_end|> {{ not a template }} {% raw %}"},
        ],
        "tools": None,
    },
    "thinking": {
        "messages": [
            {"role": "user", "content": "What is 2+2?"},
            {"role": "assistant", "content": "<think>\nSimple arithmetic.\n</think>\n\n2+2 = 4."},
            {"role": "user", "content": "And 3+3?"},
        ],
        "tools": None,
    },
    "tools_available": {
        "messages": [
            {"role": "system", "content": "You can call tools."},
            {"role": "user", "content": "What's the weather in Zürich?"},
        ],
        "tools": [WEATHER_TOOL, SEARCH_TOOL],
    },
    "tool_call_round_trip": {
        "messages": [
            {"role": "system", "content": "You can call tools."},
            {"role": "user", "content": "What's the weather in Zürich?"},
            {"role": "assistant", "content": "", "tool_calls": [TOOL_CALL]},
            {"role": "tool", "tool_call_id": "call12345", "name": "get_weather", "content": "{\"temperature\": 21.5, \"sky\": \"clear\"}"},
        ],
        "tools": [WEATHER_TOOL],
    },
}


def render_case(render, conv_name, agp):
    conv = CONVERSATIONS[conv_name]
    case = {"conversation": conv_name, "add_generation_prompt": agp}
    try:
        case["expected"] = render(conv["messages"], conv["tools"], agp)
    except Exception as e:  # the Java side must fail too
        case["error"] = {"type": type(e).__name__, "message": str(e)}
    return case


def shared_templates():
    out = []
    for path in sorted((SHARED / "chat-templates").glob("*.jinja")):
        source = path.read_text(encoding="utf-8")

        def render(messages, tools, agp, source=source):
            rendered, _ = chat_template_utils.render_jinja_template(
                conversations=[messages], tools=tools, chat_template=source, add_generation_prompt=agp, **SPECIAL_TOKENS
            )
            return rendered[0]

        cases = [render_case(render, c, agp) for c in CONVERSATIONS for agp in (False, True)]
        out.append({"template": "chat-templates/" + path.name, "special_tokens": SPECIAL_TOKENS, "cases": cases})
    return out


def tokenizer_templates():
    out = []
    for d in sorted((FETCHED / "tokenizers").iterdir()):
        config = json.loads((d / "tokenizer_config.json").read_text(encoding="utf-8"))
        if not config.get("chat_template"):
            continue
        tok = AutoTokenizer.from_pretrained(str(d))

        def render(messages, tools, agp, tok=tok):
            return tok.apply_chat_template(messages, tools=tools, add_generation_prompt=agp, tokenize=False)

        cases = [render_case(render, c, agp) for c in CONVERSATIONS for agp in (False, True)]
        out.append({"tokenizer": "tokenizers/" + d.name, "special_tokens": tok.special_tokens_map, "cases": cases})
    return out


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    meta = {
        "generator": "scripts/goldens/chat_templates.py",
        "transformers": transformers.__version__,
        "jinja2": jinja2.__version__,
        "fixed_now": FIXED_NOW.isoformat(),
        "conversations": CONVERSATIONS,
    }
    write(OUT / "conversations.json", meta)
    write(OUT / "shared-templates.json", shared_templates())
    write(OUT / "tokenizer-templates.json", tokenizer_templates())


def write(path, value):
    path.write_text(json.dumps(value, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {path.relative_to(REPO)} ({path.stat().st_size} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
