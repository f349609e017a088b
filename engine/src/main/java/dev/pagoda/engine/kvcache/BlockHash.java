package dev.pagoda.engine.kvcache;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The identity of a full KV block for prefix caching: SHA-256 of the parent block's hash followed
 * by the block's token ids (and, for the first block, a cache salt).
 *
 * <p>Why chained: the keys and values of a token depend on every token before it, not only on the
 * tokens of its block. Hashing the parent's hash into each block makes block {@code i}'s hash a
 * digest of the whole prefix {@code 0 ..< (i + 1) * blockSize}, so two sequences share block
 * {@code i} only if they agree on everything up to its end.
 *
 * <p>Why SHA-256: a collision would silently serve another prompt's keys and values. With 256 bits
 * that never happens in practice, so equal hashes are trusted without comparing tokens (vLLM's
 * {@code sha256} block hash does the same).
 *
 * <p>The salt isolates caches: a request with a salt only ever matches requests with the same salt
 * (vLLM's {@code cache_salt}). The engine uses it to confine sharing to the {@code n} sequences
 * of one request when prefix caching is turned off.
 *
 * @param h0 the digest, 4 × 64 bits, big-endian
 */
public record BlockHash(long h0, long h1, long h2, long h3) {

    /**
     * The hash of a block of {@code blockSize} tokens {@code tokenIds[start ..< start + blockSize]}.
     *
     * @param parent the previous block's hash, or null for the first block of a sequence
     * @param salt   mixed into the first block only (null or empty: no salt)
     */
    // region: prefix-hash
    public static BlockHash of(BlockHash parent, int[] tokenIds, int start, int blockSize, String salt) {
        if (start < 0 || start + blockSize > tokenIds.length) {
            throw new IllegalArgumentException("block [" + start + ", " + (start + blockSize) + ") outside " + tokenIds.length + " tokens");
        }
        MessageDigest sha = sha256();
        ByteBuffer buf = ByteBuffer.allocate(32 + 4 * blockSize);
        if (parent != null) {
            buf.putLong(parent.h0).putLong(parent.h1).putLong(parent.h2).putLong(parent.h3);
        } else {
            buf.put(new byte[32]); // "no parent" is a zero digest, as a marker distinct from any real one
            if (salt != null && !salt.isEmpty()) sha.update(("salt:" + salt + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        for (int i = 0; i < blockSize; i++) buf.putInt(tokenIds[start + i]);
        ByteBuffer d = ByteBuffer.wrap(sha.digest(buf.array()));
        return new BlockHash(d.getLong(), d.getLong(), d.getLong(), d.getLong());
    }
    // endregion

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return HexFormat.of().toHexDigits(h0).substring(0, 12) + "…";
    }
}
