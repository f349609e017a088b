package dev.pagoda.server;

/** Token counts of a request, as OpenAI reports them. */
public record Usage(int promptTokens, int completionTokens, int totalTokens) {
    public static Usage of(int promptTokens, int completionTokens) {
        return new Usage(promptTokens, completionTokens, promptTokens + completionTokens);
    }
}
