package dev.pagoda.cli;

import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Where {@code ./pagoda chat} sends a conversation: the engine in this process, or an
 * OpenAI-compatible server. Either way the whole history goes each turn (the server keeps no state;
 * its prefix cache makes resending the history cheap).
 */
interface ChatClient extends AutoCloseable {
    /** For the banner: the model and where it runs. */
    String describe();

    /**
     * Generates the assistant's next message.
     *
     * @param messages {@code [{"role": "system"|"user"|"assistant", "content": "…"}, …]}, oldest first
     * @param onDelta  receives the text as it is generated
     * @return the whole reply
     * @throws ChatException when this turn failed (the conversation can go on)
     */
    String reply(List<Map<String, Object>> messages, Consumer<String> onDelta);

    @Override
    void close();

    /** A turn that failed, with a message for the user; the session continues. */
    final class ChatException extends RuntimeException {
        ChatException(String message) {
            super(message);
        }
    }
}
