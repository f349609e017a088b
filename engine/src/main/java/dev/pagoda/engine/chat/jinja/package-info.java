/**
 * A small Jinja interpreter for the subset chat templates use, written to match Python jinja2
 * (with Hugging Face's settings) character for character.
 *
 * <p>Pipeline: {@link dev.pagoda.engine.chat.jinja.Lexer} (text, tags and whitespace control:
 * {@code trim_blocks}, {@code lstrip_blocks}, {@code -}/{@code +} markers) →
 * {@link dev.pagoda.engine.chat.jinja.Parser} / {@link dev.pagoda.engine.chat.jinja.ExpressionParser}
 * (jinja2's grammar and precedence) → {@link dev.pagoda.engine.chat.jinja.Node} syntax tree →
 * {@link dev.pagoda.engine.chat.jinja.Interpreter} (scopes as jinja2 has them: per loop iteration,
 * per macro call, not per {@code if}).
 *
 * <p>Values follow Python: None, bool, int (64-bit), float, str (indexed by code point), list,
 * tuple, dict (insertion ordered), jinja2's Undefined, generators from {@code select}/{@code map},
 * and Markup from {@code safe}. {@code PyValues}, {@code Operators}, {@code PyStrings},
 * {@code Methods}, {@code Filters} (with {@code StringFilters}, {@code NumberFilters}, {@code SequenceFilters}), {@code TestFunctions}, {@code PyJson} and {@code PyFormat}
 * implement their semantics; {@code Access} is the sandboxed attribute/item lookup.
 *
 * <p>Known, deliberate gaps: integers are 64-bit (overflow is an error, where Python grows);
 * {@code str.format} takes no format specs; {@code call} blocks, {@code include}/{@code import}/
 * {@code extends} and {@code *args} in calls are not supported (a clear error, never a wrong render);
 * jinja2's optimizer evaluates subscripts of constant literals ({@code {{ (1)[0] }}}) through a path
 * that yields undefined instead of raising, which this interpreter does not imitate; generators print
 * without Python's memory address.
 */
package dev.pagoda.engine.chat.jinja;
