package dev.pagoda.server;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * {@code Authorization: Bearer KEY} checked in constant time: both sides are hashed first, so the
 * comparison takes the same time whatever the key's length or how many leading characters match.
 */
final class ApiKeyCheck {
    private final byte[] expectedDigest;

    ApiKeyCheck(String apiKey) {
        this.expectedDigest = sha256(apiKey);
    }

    /** @param authorization the header's value, or null */
    boolean accepts(String authorization) {
        String given = authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                ? authorization.substring(7).trim() : "";
        return MessageDigest.isEqual(expectedDigest, sha256(given));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
