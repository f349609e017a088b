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

import copy
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
    "parallel_tools_string_args": {
        "messages": [
            {"role": "user", "content": "Weather in Oslo and Lima? Also search news."},
            {
                "role": "assistant",
                "content": None,
                "reasoning_content": "Two lookups, then a search.",
                "tool_calls": [
                    {"id": "callAAAAA", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Oslo\"}"}},
                    {"id": "callBBBBB", "type": "function", "function": {"name": "search", "arguments": {"query": "news", "limit": 3}}},
                ],
            },
            {"role": "tool", "tool_call_id": "callAAAAA", "name": "get_weather", "content": "-3 °C"},
            {"role": "tool", "tool_call_id": "callBBBBB", "name": "search", "content": ["headline one", "headline two"]},
            {"role": "assistant", "content": "Oslo is cold. News: headline one."},
            {"role": "user", "content": "Thanks"},
        ],
        "tools": [WEATHER_TOOL, SEARCH_TOOL],
    },
    "content_parts": {
        "messages": [
            {"role": "system", "content": [{"type": "text", "text": "System as parts."}]},
            {"role": "user", "content": [{"type": "text", "text": "Describe"}, {"type": "image"}, {"type": "text", "text": "briefly."}]},
        ],
        "tools": None,
    },
    "thinking_off": {
        "messages": [
            {"role": "system", "content": "Think less."},
            {"role": "user", "content": "Quick: 7*6?"},
        ],
        "tools": None,
        "template_kwargs": {"enable_thinking": False, "reasoning_effort": "low"},
    },
}


# Small templates pinning down one jinja2/Python behaviour each: (name, template, variables).
# Rendered by the very environment transformers builds for chat templates.
SNIPPETS = [
    # whitespace control: trim_blocks, lstrip_blocks, -, +, comments, raw, trailing newline
    ("ws_trim_lstrip", "a\n  {% if true %}\n  x\n  {% endif %}\n  {{ 'y' }}\n", {}),
    ("ws_minus", "a  \n {%- if true -%} \n b \n {%- endif -%}\n  c", {}),
    ("ws_plus", "a\n  {%+ if true +%}\nb\n{% endif %}", {}),
    ("ws_var_no_trim", "{{ 'a' }}\n{{ 'b' }}\n  {{ 'c' }}", {}),
    ("ws_comment", "x\n  {# note #}\ny {#- tight -#}  z\n", {}),
    ("ws_raw", "{% raw %}{{ not evaluated }} {% if %}{% endraw %}\n!", {}),
    ("ws_crlf", "a\r\n{% if true %}\r\nb\r\n{% endif %}\r\n", {}),
    ("ws_two_trailing_newlines", "x\n\n", {}),
    ("ws_after_var_then_block", "{{ 'v' }}  {% if true %}t{% endif %}", {}),
    # literals and output of Python values
    ("out_values", "{{ none }}|{{ true }}|{{ 1 }}|{{ 1.0 }}|{{ 1.5e-7 }}|{{ 1e16 }}|{{ 123456789.125 }}|{{ 0.1 + 0.2 }}|{{ -0.0 }}", {}),
    ("out_containers", "{{ [1, 'a', none, true, 2.5] }}|{{ {'k': 'it\\'s', 'q': 'say \"hi\"'} }}|{{ (1,) }}|{{ ('a', 'b') }}", {}),
    ("out_repr_escapes", "{{ ['tab\\t', 'nl\\n', 'nbsp\\u00a0', 'é', '\\x07'] }}", {}),
    ("string_escapes", "{{ 'a\\nb\\tc\\\\d\\u00e9\\x41' }}|{{ \"q'\" }}|{{ 'x' 'y' }}", {}),
    ("undefined_prints_empty", "[{{ nothing }}][{{ nothing|default('d') }}][{{ nothing is defined }}][{{ nothing|length }}]", {}),
    # operators
    ("arith", "{{ 7 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7.5 % 2 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 1 + 2.0 }} {{ true + 1 }}", {}),
    ("concat_tilde", "{{ 'a' ~ 1 ~ none ~ true ~ [1] ~ nothing }}", {}),
    ("string_mul_add", "{{ 'ab' * 3 }}{{ [1] * 2 }}{{ [1] + [2] }}{{ 'x' + 'y' }}", {}),
    ("compare_chain", "{{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }} {{ 1 == 1.0 }} {{ true == 1 }} {{ none == none }}", {}),
    ("in_not_in", "{{ 'b' in 'abc' }} {{ 2 in [1, 2] }} {{ 'k' in {'k': 1} }} {{ 'z' not in 'abc' }} {{ not 'a' in 'b' }}", {}),
    ("and_or_values", "{{ 0 or 'x' }} {{ 'a' and 'b' }} {{ '' and 'b' }} {{ none or none }} {{ [] or {} }}", {}),
    ("cond_expr", "{{ 'y' if 1 else 'n' }}{{ 'y' if 0 else 'n' }}[{{ 'y' if 0 }}]{{ 'a' if false else 'b' if true else 'c' }}", {}),
    ("precedence", "{{ 1 + 2 * 3 }} {{ -2 ** 2 }} {{ 'a' ~ 2 * 3 }} {{ not 1 == 2 }} {{ [3,1,2]|sort|first + 1 }} {{ -[1,2]|length }}", {}),
    ("filter_binds_tighter_than_plus", "{{ 'x' + [1, 2]|tojson }}", {}),
    # subscripts, attributes, slicing
    ("getattr_getitem", "{{ m.role }} {{ m['role'] }} {{ m.nope is defined }} {{ l[0] }} {{ l[-1] }} {{ l[9] is defined }} {{ m.items()|list }}", {"m": {"role": "user", "items": "shadowed"}, "l": [1, 2, 3]}),
    ("slices", "{{ l[1:] }} {{ l[:-1] }} {{ l[::-1] }} {{ l[::2] }} {{ l[5:] }} {{ s[1:3] }} {{ s[::-1] }} {{ s[-2:] }} {{ l[-10:2] }} {{ l[3:0:-1] }}", {"l": [0, 1, 2, 3, 4], "s": "héllo👍🏽"}),
    ("unicode_length_index", "{{ s|length }} {{ s[6] }} {{ s|list|length }} {{ s|reverse }} {{ s.upper() }}", {"s": "héllo👍🏽"}),
    ("none_attribute_is_undefined", "{{ n.x is defined }}", {"n": None}),
    ("dot_integer", "{{ l.0 }} {{ d.items|default('x') is defined }}", {"l": ["a"], "d": {}}),
    # string methods
    ("str_strip", "[{{ s.strip() }}][{{ s.lstrip() }}][{{ s.rstrip() }}][{{ 'xxaxx'.strip('x') }}][{{ '\\u3000a\\u00a0'.strip() }}]", {"s": "  \n pad \t "}),
    ("str_split", "{{ 'a b  c'.split() }} {{ 'a,b,,c'.split(',') }} {{ 'a,b,c'.split(',', 1) }} {{ 'a,b,c'.rsplit(',', 1) }} {{ '  a  b '.split(none, 1) }} {{ '  a  b '.rsplit(none, 1) }} {{ ' a b c '.rsplit(none, 5) }} {{ 'l1\\nl2\\r\\nl3'.splitlines() }}", {}),
    ("str_affix", "{{ 'hello'.startswith('he') }} {{ 'hello'.endswith(('x', 'lo')) }} {{ 'hello'.startswith('lo') }}", {}),
    ("str_case", "{{ 'hello wORLD'.title() }} {{ \"they're ok\".title() }} {{ 'hELLO'.capitalize() }} {{ 'ß'.upper() }} {{ 'ABC'.lower() }} {{ 'aB'.swapcase() }}", {}),
    ("str_find_replace", "{{ 'banana'.find('an') }} {{ 'banana'.rfind('an') }} {{ 'banana'.find('x') }} {{ 'banana'.count('a') }} {{ 'banana'.replace('a', 'o') }} {{ 'banana'.replace('a', 'o', 2) }} {{ 'ab'.replace('', '-') }}", {}),
    ("str_misc", "{{ '-'.join(['a', 'b']) }} {{ '{}+{}={x}'.format(1, 2, x=3) }} {{ '42'.isdigit() }} {{ 'ab'.center(6, '*') }} {{ 'ab'.ljust(4) }}| {{ '7'.zfill(3) }} {{ 'a=b=c'.partition('=') }} {{ 'prefix_x'.removeprefix('prefix_') }}", {}),
    ("percent_format", "{{ '%s is %d years, %.2f%%' % ('Ann', 30, 1.5) }} {{ '%(a)s' % {'a': 1} }} {{ '%5s|%-5s|' % ('a', 'b') }}", {}),
    # filters
    ("filter_trim_length", "[{{ '  x  '|trim }}][{{ 'xxaxx'|trim('x') }}] {{ [1, 2]|length }} {{ {'a': 1}|length }} {{ 'abc'|count }}", {}),
    ("filter_join_map", "{{ [1, 2, 3]|join(', ') }} {{ users|map(attribute='name')|join('/') }} {{ ['a', 'B']|map('upper')|list }} {{ users|map(attribute='age', default=0)|list }}", {"users": [{"name": "x", "age": 3}, {"name": "y"}]}),
    ("filter_select", "{{ [0, 1, 2, 3]|select('odd')|list }} {{ [0, 1, '', 'a']|select|list }} {{ [1, 2, 3]|reject('equalto', 2)|list }} {{ [1, 2, 3, 4]|select('divisibleby', 2)|list }} {{ ['a', 1]|select('string')|list }}", {}),
    ("filter_selectattr", "{{ ms|selectattr('role', 'equalto', 'user')|map(attribute='content')|list }} {{ ms|rejectattr('role', 'eq', 'user')|list|length }} {{ ms|selectattr('extra')|list }} {{ ms|selectattr('extra', 'defined')|list|length }}", {"ms": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b", "extra": 1}, {"role": "user", "content": "c"}]}),
    ("filter_generator_truthy", "{{ 'yes' if [1]|select('none') else 'no' }} {{ (none|selectattr('x')|list) }}", {}),
    ("filter_first_last", "{{ [1, 2, 3]|first }} {{ [1, 2, 3]|last }} {{ 'abc'|first }} {{ 'abc'|last }} [{{ []|first }}]", {}),
    ("filter_default", "{{ x|default('d') }} {{ none|default('d') }} {{ ''|default('d', true) }} {{ 0|d('zero', boolean=true) }} {{ 'v'|default('d') }}", {}),
    ("filter_items_dictsort", "{{ d|items|list }} {{ d|dictsort }} {{ d|dictsort(by='value', reverse=true) }} {% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", {"d": {"b": 2, "a": 3, "C": 1}}),
    ("filter_list_string_int_float", "{{ 'ab'|list }} {{ 12|string + '!' }} {{ '42'|int + 1 }} {{ '4.7'|int }} {{ 'x'|int }} {{ 'x'|int(7) }} {{ 3.9|int }} {{ '2.5'|float }} {{ 'a'|float }} {{ true|int }}", {}),
    ("filter_case", "{{ 'hello wORLD-foo(bar'|title }} {{ 'hELLO'|capitalize }} {{ 'Ab'|upper }}{{ 'Ab'|lower }}", {}),
    ("filter_replace_reverse", "{{ 'aaa'|replace('a', 'b', 2) }} {{ [1, 2]|reverse|list }} {{ 'abc'|reverse }}", {}),
    ("filter_indent", "[{{ 'a\\nb\\n\\nc'|indent }}][{{ 'a\\nb'|indent(2, true) }}][{{ 'a\\n\\nb'|indent('> ', blank=true) }}][{{ 'x\\n'|indent(first=true) }}]", {}),
    ("filter_sort_unique_minmax", "{{ [3, 1, 2]|sort }} {{ ['b', 'A', 'c']|sort }} {{ ['b', 'A', 'c']|sort(case_sensitive=true) }} {{ us|sort(attribute='n', reverse=true)|map(attribute='n')|list }} {{ [1, 2, 1, 3]|unique|list }} {{ [3, 1, 2]|min }} {{ [3, 1, 2]|max }} {{ [1, 2.5]|sum }}", {"us": [{"n": 1}, {"n": 3}, {"n": 2}]}),
    ("filter_round_abs", "{{ 2.5|round }} {{ 3.5|round }} {{ 2.675|round(2) }} {{ 2.1|round(0, 'ceil') }} {{ -3|abs }} {{ -2.5|abs }} {{ 3|round }}", {}),
    ("filter_misc", "{{ 'a b  c'|wordcount }} {{ [1, 2, 3, 4, 5]|batch(2)|list }} {{ '<a href=\"x\">&'|e }} {{ 'a'|safe }} {{ 'x'|center(5) }}|", {}),
    ("filter_safe_plus_escapes", "{{ 'a<'|safe + '<b>' }} {{ '<c>' + 'd'|safe }} {{ ('x'|safe + {'k': '\"'}|tojson) }} {{ 'q'|safe ~ '<' }}", {}),
    # tojson as json.dumps(ensure_ascii=False)
    ("tojson_basic", "{{ v|tojson }}", {"v": {"s": "é \"q\" \\ \n \u0001 👍", "i": 1, "f": 1.5, "big": 1e20, "small": 1e-7, "b": True, "n": None, "l": [], "d": {}}}),
    ("tojson_indent", "{{ v|tojson(indent=2) }}|{{ v|tojson(indent=0) }}|{{ [[], {}]|tojson(indent=4) }}", {"v": {"a": [1, {"b": None}], "c": "x"}}),
    ("tojson_options", "{{ v|tojson(separators=(',', ':')) }} {{ v|tojson(sort_keys=true) }} {{ 'é'|tojson(ensure_ascii=true) }} {{ '👍'|tojson(ensure_ascii=true) }}", {"v": {"z": 1, "a": [1, 2]}}),
    ("tojson_values", "{{ 'str'|tojson }} {{ 3|tojson }} {{ none|tojson }} {{ (1, 'a')|tojson }} {{ 0.1|tojson }}", {}),
    # tests
    ("tests", "{{ 1 is number }} {{ true is number }} {{ 1 is integer }} {{ true is integer }} {{ 1.0 is float }} {{ 's' is string }} {{ {} is mapping }} {{ [] is sequence }} {{ 's' is sequence }} {{ {} is sequence }} {{ 1 is iterable }} {{ x is iterable }} {{ none is none }} {{ false is false }} {{ true is boolean }} {{ 2 is even }} {{ 3 is odd }} {{ 'a' is lower }} {{ 'A' is upper }} {{ 1 is sameas 1 }} {{ 2 is in [1, 2] }} {{ range is callable }}", {}),
    ("tests_negated_args", "{{ 1 is not none }} {{ 'a' is not string }} {{ x is not defined }} {{ 3 is divisibleby 3 }} {{ 'a' is equalto 'a' }} {{ 2 is gt 1 }} {{ 2 is ne 2 }} {{ x is undefined }}", {}),
    # statements
    ("for_loop_vars", "{% for x in 'abc' %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.previtem }}{{ loop.nextitem }}{{ loop.cycle('o', 'e') }};{% endfor %}", {}),
    ("for_else_filter", "{% for x in [] %}x{% else %}empty{% endfor %} {% for x in range(10) if x is odd %}{{ x }}{{ loop.index }}{{ loop.last }},{% endfor %}", {}),
    ("for_break_continue", "{% for i in range(10) %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 5 %}{% break %}{% endif %}{{ i }}{% endfor %}", {}),
    ("for_unpack_dict", "{% for k in {'a': 1, 'b': 2} %}{{ k }}{% endfor %} {% for a, b in [[1, 2], (3, 4)] %}{{ a + b }}{% endfor %}", {}),
    ("for_nested_loop", "{% for a in [1, 2] %}{% for b in [1, 2] %}{{ loop.index }}{% endfor %}{{ loop.index }};{% endfor %}", {}),
    ("for_recursive", "{% for n in tree recursive %}<{{ n.name }}{% if n.children %}:{{ loop(n.children) }}{% endif %}>{% endfor %}", {"tree": [{"name": "a", "children": [{"name": "b"}, {"name": "c", "children": [{"name": "d"}]}]}]}),
    ("scoping_loop", "{% set x = 0 %}{% for i in range(3) %}[{{ x }}]{% set x = i + 10 %}({{ x }}){% endfor %}{{ x }}", {}),
    ("scoping_if_leaks", "{% if true %}{% set z = 3 %}{% endif %}{{ z }}", {}),
    ("scoping_root_set_shadows_context", "{% for m in [1] %}[{{ y }}]{% endfor %}{% macro f() %}({{ y }}){% endmacro %}{{ f() }}{% set y = 1 %}{{ y }}{{ f() }}", {"y": 5}),
    ("scoping_if_set_resolves_context", "{% for m in [1] %}[{{ y }}]{% endfor %}{% if true %}{% set y = 1 %}{% endif %}{{ y }}", {"y": 5}),
    ("scoping_load_before_set_resolves", "{{ y }}{% for m in [1] %}[{{ y }}]{% endfor %}{% set y = 1 %}{{ y }}", {"y": 5}),
    ("namespace", "{% set ns = namespace(n=0, s='') %}{% for i in range(4) %}{% set ns.n = ns.n + i %}{% set ns.s = ns.s ~ i %}{% endfor %}{{ ns.n }} {{ ns.s }} {% set ns2 = namespace() %}{% set ns2.a = 1 %}{{ ns2.a }}", {}),
    ("set_tuple_and_block", "{% set a, b = 1, 2 %}{{ a }}{{ b }} {% set blk %}  inner {{ a }}  {% endset %}[{{ blk }}] {% set t | trim | upper %}  up  {% endset %}[{{ t }}]", {}),
    ("macro", "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('A') }} {{ greet('B', '?') }} {{ greet(punct='.', name='C') }} [{{ greet() }}]", {}),
    ("macro_varargs_kwargs", "{% macro f(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ f(1) }}|{{ f(1, 2, 3, x=4) }}{% macro g() %}{% for v in varargs %}{{ v }}{% endfor %}{% endmacro %}|{{ g('p', 'q') }}", {}),
    ("err_macro_unknown_kwarg", "{% macro f(a) %}{{ varargs }}{% endmacro %}{{ f(1, b=2) }}", {}),
    ("macro_scope", "{% set x = 1 %}{% macro m() %}{{ x }}{% endmacro %}{% set x = 2 %}{{ m() }}{% for x in [7] %}{{ m() }}{% endfor %}", {}),
    ("macro_recursion", "{% macro fact(n) %}{% if n <= 1 %}1{% else %}{{ n }}*{{ fact(n - 1) }}{% endif %}{% endmacro %}{{ fact(4) }}", {}),
    ("filter_block_with", "{% filter upper %}shout {{ 'it' }}{% endfilter %} {% with a = 5, b = 6 %}{{ a * b }}{% endwith %}[{{ a }}]", {}),
    ("generation_block", "{% for m in ms %}{% generation %}<{{ m }}>{% endgeneration %}{% endfor %}", {"ms": ["x", "y"]}),
    ("globals", "{{ range(3)|list }} {{ range(1, 7, 2)|list }} {{ range(5, 0, -2)|list }} {{ dict(a=1, b='x') }} {% set j = joiner(', ') %}{% for i in [1, 2, 3] %}{{ j() }}{{ i }}{% endfor %}", {}),
    ("strftime_now", "{{ strftime_now('%Y-%m-%d %H:%M:%S') }} {{ strftime_now('%d %b %Y') }} {{ strftime_now('%B %d, %Y') }} {{ strftime_now('%A %a %j %I%p %y %-d %%') }}", {}),
    ("bos_eos_and_messages", "{{ bos_token }}{% for m in messages %}{{ m['role'] }}:{{ m.content|trim }}{{ eos_token }}{% endfor %}", {"bos_token": "<s>", "eos_token": "</s>", "messages": [{"role": "user", "content": " hi "}]}),
    # assorted corners
    ("corner_literals", "{{ '{{' }}{{ '%}' }}{{ \"}}\" }}|{{ {1: 'a', 'b': [1]}|tojson }}|{{ 1e300 * 1e300 }}|{{ 0.1 * 3 }}|{{ 1 / 3 }}|{{ -1|abs }}|{{ 10|string|length }}", {}),
    ("corner_none_filters", "{{ none|string }}|{{ none|lower }}|{{ none|default('x') }}|{{ nothing|default(none) is none }}|{{ none|tojson }}|{{ true|tojson }}", {}),
    ("corner_dict_methods", "{{ d.get('b', 'dflt') }} {{ d.get('a') }} {{ d.get('zz') }} {{ d.keys()|list }} {{ d.values()|list }} {{ d['missing'] is defined }} {{ d.get('k') or 'default' }}", {"d": {"a": 1}}),
    ("corner_ranges", "{{ range(3)|reverse|list }} {{ range(3)|sum }} {{ range(0)|list }} {{ range(3, 0)|list }} {{ range(-3, 3, 2)|list }}", {}),
    ("corner_printf", "{{ '%.1f' % 2.25 }} {{ '%.1f' % 0.35 }} {{ '%d' % 3.7 }} {{ '%x' % 255 }} {{ '%5.2f' % 3.14159 }} {{ '%.0f' % 0.5 }} {{ '%.3f' % -1.0005 }} {{ '%s' % none }} {{ '%r' % 'q' }} {{ '%f' % 1 }}", {}),
    ("corner_format_filter", "{{ '%s-%s'|format('a', 1) }} {{ '%(x)s'|format(x=2) }}", {}),
    ("corner_tests_args", "{{ 4 is divisibleby(2) }} {{ loop is defined }} {% for i in [1] %}{{ loop.index0 is divisibleby 2 }}{% endfor %} {{ 'x' is in 'xyz' }} {{ [1, 2] is sequence }}", {}),
    ("corner_slice_chain", "{{ [1, 2, 3][1:][0] }} {{ 'Hello'[::-1] }} {{ ms[-1]['content'] }} {{ (ms|last).role }}", {"ms": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}),
    ("corner_macro_default_uses_param", "{% macro f(a, b=a * 2) %}{{ a }},{{ b }}{% endmacro %}{{ f(3) }} {{ f(3, 1) }}", {}),
    ("corner_macro_namespace_in_loop", "{% set ns = namespace(acc=[]) %}{% macro add(x) %}{% set ns.acc = ns.acc + [x] %}{% endmacro %}{% for i in range(3) %}{{ add(i) }}{% endfor %}{{ ns.acc }}", {}),
    ("corner_tojson_nested", "{{ {'a': {'b': 1, 'c': [1, 'é']}, 'z': none}|tojson(indent=2, sort_keys=true) }}", {}),
    ("corner_join_map_newline", "{{ ms|map(attribute='content')|join('\\n') }}", {"ms": [{"content": "a"}, {"content": "b"}]}),
    ("corner_items_loop", "{% for k, v in d|items %}{{ k }}:{{ v|tojson }};{% endfor %}{% for k, v in d|dictsort %}{{ k }}{% endfor %}", {"d": {"b": [1], "a": {"x": None}}}),
    ("corner_strings_more", "{{ 'x'.split(none) }} {{ ' '.join([]) }} {{ 'a\\tb'.expandtabs is defined }} {{ 'ABC'.isupper() }} {{ 'abc'.islower() }} {{ ''.isdigit() }} {{ 'a b'.title() }} {{ 'x'.ljust(3, '-') }}", {}),
    ("corner_is_undefined_chain", "{{ x is defined and x.y }}|{{ d.a.b is defined }}", {"d": {"a": {}}}),
    ("corner_filter_on_undefined", "[{{ nothing|trim }}][{{ nothing|list }}][{{ nothing|join(',') }}][{{ nothing|upper }}][{{ nothing|string }}][{{ nothing|first is defined }}]", {}),
    ("corner_loop_in_set_scope", "{% for m in ms %}{% set content = m.content %}{% if loop.last %}{{ content }}{% endif %}{% endfor %}[{{ content }}]", {"ms": [{"content": "a"}, {"content": "b"}]}),
    ("corner_ns_init_from_dict", "{% set ns = namespace({'a': 1}, b=2) %}{{ ns.a }}{{ ns.b }}{{ ns.c is defined }}", {}),
    ("corner_compare_mixed_numbers", "{{ 1 < 1.5 }} {{ 2 == 2.0 }} {{ true > 0 }} {{ [1, 'a'] == [1, 'a'] }} {{ {'a': 1} == {'a': 1.0} }}", {}),
    ("corner_unicode_methods", "{{ 'ǅungla'.title() }} {{ 'İ'.lower()|length }} {{ 'ﬁ'.upper() }} {{ 'straße'|upper }} {{ 'ΣΑΣ'.lower() }}", {}),
    ("err_undefined_chain_defined_test", "{{ x.y.z is defined }}", {"x": {}}),
    ("err_str_minus", "{{ 'a' - 'b' }}", {}),
    ("err_float_floordiv_zero", "{{ 5 // 0.0 }}", {}),
    # errors (the Java side must raise too)
    ("err_raise_exception", "{% if true %}{{ raise_exception('Roles must alternate!') }}{% endif %}", {}),
    ("err_undefined_attr", "{{ nothing.attr }}", {}),
    ("err_undefined_index_attr", "{{ messages[0].role }}", {"messages": []}),
    ("err_type_concat", "{{ 'a' + 1 }}", {}),
    ("err_concat_binds_tighter_than_plus", "{{ 'a' ~ 1 + 2 }}", {}),
    ("err_none_iter", "{% for x in none %}{% endfor %}", {}),
    ("err_unknown_filter", "{{ 'a'|no_such_filter }}", {}),
    ("soft_unknown_filter_ok", "{% if false %}{{ 'a'|no_such_filter }}{% endif %}ok{{ 'b'|nope if false else 'c' }}", {}),
    ("err_unknown_filter_runtime", "{% if true %}{{ 'a'|no_such_filter }}{% endif %}", {}),
    ("err_syntax", "{% if x %}unclosed", {}),
    ("err_unknown_tag", "{% frobnicate %}", {}),
    ("err_append_unsafe", "{% set l = [] %}{{ l.append(1) }}", {}),
    ("err_namespace_assign", "{% set d = {} %}{% set d.x = 1 %}", {}),
    ("err_division_by_zero", "{{ 1 / 0 }}", {}),
    ("err_length_of_generator", "{{ [1]|select|length }}", {}),
    ("err_tojson_undefined", "{{ nothing|tojson }}", {}),
    ("err_macro_too_many_args", "{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}", {}),
    ("err_break_outside_loop", "{% if true %}{% break %}{% endif %}", {}),
    ("err_continue_in_macro_in_loop", "{% for i in [1] %}{% macro m() %}{% continue %}{% endmacro %}{% endfor %}", {}),
    ("err_range_too_big", "{% for i in range(1000000) %}{% endfor %}", {}),
]


def whitespace_fuzz(count=150, seed=1234):
    """Random mixes of text, whitespace, tags with -/+ markers, comments and blocks: the lexer's hardest part."""
    import random

    rnd = random.Random(seed)
    texts = [" ", "  ", "\n", "\n  ", "  \n", "\t", "x", " y ", "\n\n", "\u00a0"]
    marks = ["", "", "-", "+"]

    def tag(body, kind="%"):
        left = rnd.choice(marks if kind != "{" else ["", "-"])
        right = rnd.choice(marks if kind != "{" else ["", "-"])
        if kind == "{":
            return "{{" + left + " " + body + " " + right + "}}"
        if kind == "#":
            return "{#" + left + " " + body + " " + right + "#}"
        return "{%" + left + " " + body + " " + right + "%}"

    def piece(depth):
        r = rnd.random()
        if r < 0.35:
            return rnd.choice(texts)
        if r < 0.5:
            return tag("'v'", "{")
        if r < 0.6:
            return tag("c", "#")
        if r < 0.65:
            return tag("set z = 1")
        if depth > 2 or r < 0.75:
            return rnd.choice(texts)
        if r < 0.87:
            return tag("if true") + seq(depth + 1) + (tag("else") + seq(depth + 1) if rnd.random() < 0.3 else "") + tag("endif")
        if r < 0.95:
            return tag("for i in [1, 2]") + seq(depth + 1) + tag("endfor")
        return "{% raw %}" + rnd.choice(texts) + "{{ r }}" + rnd.choice(texts) + "{%" + rnd.choice(["", "-"]) + " endraw %}"

    def seq(depth):
        return "".join(piece(depth) for _ in range(rnd.randint(1, 6)))

    return [("ws_fuzz_%03d" % i, seq(0), {}) for i in range(count)]


def expression_fuzz(count=400, seed=99):
    """Random expressions over Python values: operators, comparisons, filters, tests, slicing. Checks
    results and where Python raises (type errors, undefined access) alike."""
    import random

    rnd = random.Random(seed)
    atoms = ["0", "1", "-3", "2.5", "0.1", "1e3", "'ab'", "''", "'Zé 👍'", "none", "true", "false", "[]", "[1, 2, 3]",
             "['b', 'a']", "{'k': 1, 'j': [2]}", "{}", "(1, 'x')", "nothing", "d", "d.k", "d['j']", "s", "l", "l[1]", "n"]
    binops = ["+", "-", "*", "/", "//", "%", "**", "~", "==", "!=", "<", ">=", "in", "not in", "and", "or"]
    filters = ["length", "string", "upper", "lower", "first", "last", "join", "join(', ')", "tojson", "list", "reverse",
               "sort", "trim", "int", "float", "abs", "default('D')", "d(0, true)", "capitalize", "title", "unique",
               "items", "dictsort", "sum", "min", "max", "count", "replace('a', 'X')", "round", "indent(2)", "safe",
               "select", "reject('none')", "map('string')", "batch(2)", "wordcount", "center(7)", "e"]
    variable_atoms = ["nothing", "d", "d.k", "d['j']", "s", "l", "l[1]", "n", "t", "z"]
    tests = ["string", "number", "none", "defined", "undefined", "iterable", "sequence", "mapping", "integer", "float",
             "boolean", "true", "false", "odd", "even", "lower", "upper", "callable", "eq 1", "in [1, 'ab']", "divisibleby 2"]

    def expr(depth):
        r = rnd.random()
        if depth > 2 or r < 0.3:
            return rnd.choice(atoms)
        if r < 0.5:
            return "(" + expr(depth + 1) + " " + rnd.choice(binops) + " " + expr(depth + 1) + ")"
        if r < 0.65:
            return "(" + expr(depth + 1) + ")|" + rnd.choice(filters)
        if r < 0.75:
            return "(" + expr(depth + 1) + " is " + rnd.choice(["", "not "]) + rnd.choice(tests) + ")"
        if r < 0.82:
            return "(" + expr(depth + 1) + " if " + expr(depth + 1) + " else " + expr(depth + 1) + ")"
        if r < 0.87:
            return "(not " + expr(depth + 1) + ")"
        # Subscripts apply to variables: jinja2's optimizer folds constant subscripts through a different,
        # error-swallowing path, a quirk no real template relies on.
        subject = rnd.choice(variable_atoms) if rnd.random() < 0.6 else "(" + rnd.choice(variable_atoms) + ")|" + rnd.choice(filters)
        if r < 0.94:
            a, b = rnd.choice(["", "1", "-1", "-2", "0"]), rnd.choice(["", "2", "-1", "5"])
            return "(" + subject + ")[" + a + ":" + b + (":" + rnd.choice(["-1", "2"]) if rnd.random() < 0.3 else "") + "]"
        return "(" + subject + ")[" + rnd.choice(["0", "-1", "1", "'k'", "'j'"]) + "]"

    variables = {"d": {"k": "v", "j": [1, 2]}, "s": "héllo", "l": [3, 1, 2], "n": 7, "t": True, "z": None}
    return [("expr_fuzz_%03d" % i, "{{ " + expr(0) + " }}", variables) for i in range(count)]


def statement_fuzz(count=150, seed=4321):
    """Random nestings of for/if/set/namespace/macro/break/continue/loop.*: scoping and control flow."""
    import random

    rnd = random.Random(seed)
    names = ["x", "y", "ns.a", "ns.b"]
    values = ["1", "x ~ 'x'", "(y or 0) + 1", "loop.index if loop is defined else 0", "ns.a + 1", "m.role", "m", "items|length",
              "x is defined", "[x, y]", "ns.b ~ '.'", "mac(x)", "i * 2 if i is defined else -1"]
    conds = ["x", "not y", "loop is defined and loop.first", "loop is defined and loop.last", "i is defined and i % 2",
             "ns.a > 2", "m is defined and m.role == 'user'", "x is not defined", "items"]

    def stmt(depth):
        r = rnd.random()
        if r < 0.25:
            return "{% set " + rnd.choice(names) + " = " + rnd.choice(values) + " %}"
        if r < 0.45:
            return "{{ " + rnd.choice(values) + " }}|"
        if depth >= 3 or r < 0.5:
            return rnd.choice(["a", "-", "\n"])
        if r < 0.7:
            var = rnd.choice(["i", "x", "m"])
            it = {"i": "range(3)", "x": "[1, 2]", "m": "items"}[var]
            return "{% for " + var + " in " + it + (" if " + rnd.choice(conds) if rnd.random() < 0.2 else "") + " %}" + body(depth + 1) + "{% endfor %}"
        if r < 0.85:
            return "{% if " + rnd.choice(conds) + " %}" + body(depth + 1) + ("{% else %}" + body(depth + 1) if rnd.random() < 0.4 else "") + "{% endif %}"
        if r < 0.92:
            return "{% if " + rnd.choice(conds) + " %}{% " + rnd.choice(["break", "continue"]) + " %}{% endif %}" if depth > 0 else "b"
        return "{% with x = " + rnd.choice(values) + " %}" + body(depth + 1) + "{% endwith %}"

    def body(depth):
        return "".join(stmt(depth) for _ in range(rnd.randint(1, 4)))

    prelude = "{% set ns = namespace(a=0, b='') %}{% macro mac(v) %}<{{ v }}{{ x }}{{ ns.a }}>{% endmacro %}"
    variables = {"items": [{"role": "user"}, {"role": "assistant"}, {"role": "user"}], "y": 0}
    out = []
    for i in range(count):
        src = prelude + body(0) + "{{ x }}{{ y }}{{ ns.a }}{{ ns.b }}"
        out.append(("stmt_fuzz_%03d" % i, src, variables))
    return out


def method_fuzz(count=200, seed=5):
    """Random str methods and string filters (with arguments) on tricky strings: Python's str semantics."""
    import random

    rnd = random.Random(seed)
    strs = ["s", "'  a b  '", "'a,b,,c'", "'Hello World'", "'ǅx ß'", "''", "'\\n x \\t'", "'x\\ny\\r\\nz'", "'ab' * 3", "t",
            "'ÉCOLE'", "'a-b_c d'"]
    methods = ["strip()", "strip('a ')", "lstrip()", "rstrip('\\n')", "split()", "split(',')", "split(',', 1)", "rsplit(None, 1)",
               "rsplit(',', 1)", "splitlines()", "splitlines(true)", "startswith('a')", "startswith(('x', 'H'))", "endswith('d')",
               "replace('a', 'Z')", "replace('', '.')", "replace('b', '', 1)", "lower()", "upper()", "title()", "capitalize()",
               "swapcase()", "find('b')", "rfind('b')", "index('b')", "count('a')", "join(['1', '2'])", "isdigit()", "isalpha()",
               "isalnum()", "isspace()", "islower()", "isupper()", "center(9, '*')", "ljust(5)", "rjust(5, '0')", "zfill(6)",
               "partition(',')", "rpartition(' ')", "removeprefix('He')", "removesuffix('ld')", "format(1, 2)", "expandtabs(4)",
               "casefold()", "get", "nope"]
    filters = ["trim", "trim('ab')", "title", "capitalize", "upper", "wordcount", "length", "list", "reverse", "first", "last",
               "replace('l', 'L', 1)", "indent(3)", "indent(2, true, true)", "center(11)", "truncate(5)", "truncate(9, true, '~', 0)",
               "e", "tojson", "string", "int", "float", "round(1)", "unique|list", "sort|join"]
    variables = {"s": "héllo wörld\t👍🏽", "t": "x  y"}
    out = []
    for i in range(count):
        subject = rnd.choice(strs)
        e = "(" + subject + ")." + rnd.choice(methods) if rnd.random() < 0.6 else "(" + subject + ")|" + rnd.choice(filters)
        if rnd.random() < 0.3:
            e = "(" + e + ")|" + rnd.choice(filters)
        out.append(("method_fuzz_%03d" % i, "{{ " + e + " }}", variables))
    return out


def snippets():
    out = []
    for name, source, variables in SNIPPETS + whitespace_fuzz() + expression_fuzz() + statement_fuzz() + method_fuzz():
        case = {"name": name, "template": source, "variables": copy.deepcopy(variables)}
        try:
            # a fresh copy: some filters mutate their input in Python (indent's `s += "\n"` on a list)
            case["expected"] = chat_template_utils._compile_jinja_template(source).render(**copy.deepcopy(variables))
        except Exception as e:
            case["error"] = {"type": type(e).__name__, "message": str(e)}
        if " at 0x" in case.get("expected", "").lower():
            continue  # prints a Python object address (a generator, an iterator): not reproducible
        out.append(case)
    return out


def render_case(render, conv_name, agp):
    conv = CONVERSATIONS[conv_name]
    case = {"conversation": conv_name, "add_generation_prompt": agp}
    try:
        case["expected"] = render(conv["messages"], conv["tools"], agp, conv.get("template_kwargs", {}))
    except Exception as e:  # the Java side must fail too
        case["error"] = {"type": type(e).__name__, "message": str(e)}
    return case


def shared_templates():
    out = []
    for path in sorted((SHARED / "chat-templates").glob("*.jinja")):
        source = path.read_text(encoding="utf-8")

        def render(messages, tools, agp, kwargs, source=source):
            rendered, _ = chat_template_utils.render_jinja_template(
                conversations=[messages], tools=tools, chat_template=source, add_generation_prompt=agp, **SPECIAL_TOKENS, **kwargs
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

        def render(messages, tools, agp, kwargs, tok=tok):
            return tok.apply_chat_template(messages, tools=tools, add_generation_prompt=agp, tokenize=False, **kwargs)

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
    write(OUT / "jinja-snippets.json", snippets())


def write(path, value):
    path.write_text(json.dumps(value, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {path.relative_to(REPO)} ({path.stat().st_size} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
