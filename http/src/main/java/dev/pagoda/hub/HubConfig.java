package dev.pagoda.hub;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where and how to reach the Hugging Face hub, from the same environment variables as
 * {@code huggingface_hub}: {@code HF_ENDPOINT} (default https://huggingface.co), {@code HF_HOME}
 * (default ~/.cache/huggingface; the cache is its {@code hub/}), {@code HF_HUB_CACHE} (the cache
 * itself), {@code HF_TOKEN}, {@code HF_HUB_OFFLINE} (1/true: use only what is cached).
 *
 * @param endpoint the hub's base URL, without a trailing slash
 * @param cacheDir the hub cache ({@code models--ORG--NAME/{blobs,snapshots,refs}} inside)
 * @param token    sent as {@code Authorization: Bearer}; null for none
 */
public record HubConfig(String endpoint, Path cacheDir, String token, boolean offline) {
    public HubConfig {
        while (endpoint.endsWith("/")) endpoint = endpoint.substring(0, endpoint.length() - 1);
        if (token != null && token.isBlank()) token = null;
    }

    public static HubConfig fromEnvironment(Map<String, String> env) {
        String home = env.getOrDefault("HF_HOME", Path.of(System.getProperty("user.home"), ".cache", "huggingface").toString());
        String cache = env.getOrDefault("HF_HUB_CACHE", Path.of(home, "hub").toString());
        String offline = env.getOrDefault("HF_HUB_OFFLINE", "0").trim().toLowerCase(java.util.Locale.ROOT);
        return new HubConfig(env.getOrDefault("HF_ENDPOINT", "https://huggingface.co"), Path.of(cache), env.get("HF_TOKEN"),
                offline.equals("1") || offline.equals("true") || offline.equals("yes") || offline.equals("on"));
    }

    /** {@code Qwen/Qwen2.5-0.5B-Instruct} (or a bare name), as the hub accepts them. */
    public static boolean looksLikeRepoId(String s) {
        return s.matches("([A-Za-z0-9][A-Za-z0-9._-]{0,95}/)?[A-Za-z0-9][A-Za-z0-9._-]{0,95}") && !s.contains("..");
    }
}
