package dev.pagoda.backend.cuda;

import java.util.List;

/**
 * What {@code ./pagoda conformance} prints: for one model, the figures of every case and whether
 * it is within the limits, and the setting (device, driver, dtype, limits with their reasons).
 *
 * @param model      the model's directory name
 * @param device     the candidate's device
 * @param driver     the CUDA driver version ("-" on the CPU)
 * @param dtype      what the candidate computes in
 * @param reference  what the candidate is compared with
 * @param limits     the limits applied
 * @param results    one line per case and block size, in run order
 */
public record ConformanceReport(String model, String device, String driver, String dtype, String reference,
                                ConformanceLimits limits, List<CaseResult> results) {

    /**
     * One case's figures over all its compared positions.
     *
     * @param kind          "vs reference", "schedule" (the candidate against its own prefill) or "vs HF"
     * @param positions     positions compared
     * @param maxAbsDiff    largest |Δ| of any logit
     * @param maxRelative   largest per-position max|Δ| / max|ref|
     * @param maxKl         largest per-position KL in nats (NaN where not computed)
     * @param argmaxAgree   positions whose argmax equals the reference's
     * @param failures      the first few positions out of tolerance, described
     * @param numFailures   how many positions are out of tolerance
     */
    public record CaseResult(String name, String kind, int positions, double maxAbsDiff, double maxRelative, double maxKl,
                             int argmaxAgree, int numFailures, List<String> failures) {
        public boolean passed() {
            return numFailures == 0;
        }

        String format() {
            return String.format("  %-58s %-12s positions %4d  max|Δ| %.2e  max rel %.2e  max KL %s  argmax %d/%d  %s",
                    name, kind, positions, maxAbsDiff, maxRelative, Double.isNaN(maxKl) ? "   -    " : String.format("%.2e", maxKl),
                    argmaxAgree, positions, passed() ? "PASS" : "FAIL (" + numFailures + ")");
        }
    }

    public boolean passed() {
        return !results.isEmpty() && results.stream().allMatch(CaseResult::passed);
    }

    public int numFailedCases() {
        return (int) results.stream().filter(r -> !r.passed()).count();
    }

    /** The multi-line report. */
    public String format() {
        StringBuilder sb = new StringBuilder();
        sb.append("conformance: ").append(model).append('\n');
        sb.append("  device: ").append(device).append("\n  driver: ").append(driver).append("\n  dtype: ").append(dtype).append('\n');
        sb.append("  reference: ").append(reference).append('\n');
        sb.append("  tolerances:\n");
        for (String r : limits.reasons()) sb.append("    - ").append(r).append('\n');
        for (CaseResult r : results) {
            sb.append(r.format()).append('\n');
            for (String f : r.failures()) sb.append("      ").append(f).append('\n');
        }
        sb.append("  result: ").append(passed() ? "PASS" : "FAIL (" + numFailedCases() + " of " + results.size() + " cases)").append('\n');
        return sb.toString();
    }
}
