package dev.pagoda.server;

import java.util.UUID;

/** Response ids: a prefix ({@code cmpl-}, {@code chatcmpl-}, {@code embd-}) plus 32 random hex digits. */
final class Ids {
    private Ids() {}

    static String random() {
        return UUID.randomUUID().toString().replace("-", "");
    }
}
