/**
 * Chat templates: turning a conversation ({@code messages}, {@code tools}) into the prompt string a
 * model was trained on, exactly as Hugging Face's {@code tokenizer.apply_chat_template(...,
 * tokenize=False)} does. {@link dev.pagoda.engine.chat.ChatTemplate} finds the template(s) and
 * special tokens of a tokenizer directory and renders them with the sandboxed Jinja interpreter in
 * {@link dev.pagoda.engine.chat.jinja}.
 */
package dev.pagoda.engine.chat;
