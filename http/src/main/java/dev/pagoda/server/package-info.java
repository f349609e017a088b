/**
 * The OpenAI-compatible HTTP server ({@code ./pagoda serve}), in the spirit of {@code vllm serve}.
 *
 * <p>Read in this order:
 * <ol>
 *   <li>{@link dev.pagoda.server.PagodaServer}: start-up (HTTP first, then the model and the
 *       engine), the log, shutdown;</li>
 *   <li>{@link dev.pagoda.server.OpenAiServer}: the routes, the API key check, errors as OpenAI's
 *       error object ({@link dev.pagoda.server.ApiError});</li>
 *   <li>{@link dev.pagoda.server.CompletionsHandler} and
 *       {@link dev.pagoda.server.ChatCompletionsHandler}: request → prompts ({@link dev.pagoda.server.JsonBody})
 *       and sampling parameters ({@link dev.pagoda.server.SamplingRequest}) → a
 *       {@link dev.pagoda.server.GenerationRun} on the {@code AsyncLlmEngine} → one JSON body or
 *       server-sent events ({@link dev.pagoda.server.ServerContext}, {@link dev.pagoda.server.SseStream});</li>
 *   <li>the rest: embeddings ({@link dev.pagoda.server.EmbeddingRunner}), /v1/models, /tokenize,
 *       /health, /metrics ({@link dev.pagoda.server.ServerMetrics}, vLLM's metric names).</li>
 * </ol>
 *
 * <p>Threads: Jetty runs every request on its own virtual thread, which reads the body, then hands
 * the CPU work (parsing, the chat template, tokenizing) to a small platform pool so that a huge
 * prompt cannot starve the carriers ({@link dev.pagoda.server.ServerContext}), then blocks on its
 * request's output stream; the engine runs on one platform thread of its own and is only reached through
 * the {@code AsyncLlmEngine}'s command queue. A client that goes away (a failed write, or the
 * {@link dev.pagoda.server.DisconnectWatch}) aborts its request, which frees its KV blocks at the
 * engine's next step.
 *
 * <p>Limits on what a request may ask for: {@link dev.pagoda.server.RequestLimits}; what bad input,
 * faults, overload and SIGTERM do: {@code docs/reliability.md}.
 */
package dev.pagoda.server;
