/**
 * Hugging Face {@code tokenizer.json} tokenizers, pure JDK, with the same ids as the Rust
 * {@code tokenizers} library, and streaming detokenization.
 *
 * <p>Encoding ({@link dev.pagoda.engine.tokenizer.Tokenizer#encode}) follows Hugging Face's pipeline:
 * <ol>
 *   <li>{@link dev.pagoda.engine.tokenizer.AddedVocabulary}: special and added tokens are cut out of the text;
 *   <li>{@link dev.pagoda.engine.tokenizer.Normalizer}: the remaining pieces are normalized (NFC, "▁" for spaces, ...);
 *   <li>{@link dev.pagoda.engine.tokenizer.PreTokenizer}: pieces are split into words (the GPT-style regexes by
 *       {@link dev.pagoda.engine.tokenizer.GptPatternScanner}, a hand-written scanner);
 *   <li>{@link dev.pagoda.engine.tokenizer.BpeModel}: each word becomes ids by byte-pair merges (byte-level, or
 *       per character with {@code <0xNN>} byte fallback), cached per word;
 *   <li>{@link dev.pagoda.engine.tokenizer.PostProcessor}: BOS/EOS are added if asked.
 * </ol>
 * Decoding maps ids to token strings and runs the {@link dev.pagoda.engine.tokenizer.Decoder} chain.
 * {@link dev.pagoda.engine.tokenizer.IncrementalDetokenizer} turns generated ids into text deltas, and
 * {@link dev.pagoda.engine.tokenizer.StopStrings} finds stop strings in them.
 *
 * <p>Anything in a {@code tokenizer.json} this package does not implement is a
 * {@link dev.pagoda.engine.tokenizer.TokenizerException} naming the feature.
 */
package dev.pagoda.engine.tokenizer;
