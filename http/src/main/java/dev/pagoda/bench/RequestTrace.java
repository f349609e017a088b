package dev.pagoda.bench;

/**
 * What one benchmark request did, timed by the client (vLLM's {@code RequestFuncOutput}). Times are
 * seconds. In-process runs fill it from engine step timestamps; {@code bench serve} from the SSE stream.
 *
 * @param promptLen    prompt tokens sent
 * @param outputTokens tokens generated (the server's usage count where it reports one)
 * @param success      false when the request failed; then only {@code error} is meaningful
 * @param error        the failure, else ""
 * @param ttft         time to first token: from sending the request to the first token's arrival
 * @param itl          {@code [outputTokens - 1]} gaps between consecutive token arrivals (fewer when one
 *                     chunk carried several tokens)
 * @param latency      end-to-end: from sending the request to the last byte of the answer
 * @param startTime    when the request was sent, seconds after the benchmark started
 */
public record RequestTrace(int promptLen, int outputTokens, boolean success, String error, double ttft, double[] itl,
                           double latency, double startTime) {

    public static RequestTrace ok(int promptLen, int outputTokens, double ttft, double[] itl, double latency, double startTime) {
        return new RequestTrace(promptLen, outputTokens, true, "", ttft, itl, latency, startTime);
    }

    public static RequestTrace failed(int promptLen, String error, double startTime) {
        return new RequestTrace(promptLen, 0, false, error, 0, new double[0], 0, startTime);
    }
}
