package dev.pagoda.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.engine.testing.Fixtures;
import dev.pagoda.server.PagodaServer;
import dev.pagoda.server.ServeOptions;
import dev.pagoda.server.ServerConfig;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * How {@code ./pagoda serve} ends: a stop signal → the server is closed and the exit code is 0; the
 * engine thread dying → the server is closed and the exit code is 3, for a supervisor to restart it
 * (never a process that hangs on with a dead engine). SigtermTest covers the signal end to end.
 */
class ServeExitTest {
    private static PagodaServer start() throws Exception {
        ServeOptions options = ServeOptions.of(Fixtures.stories260k()).withServedModelNames(List.of("stories260k")).withNumThreads(1);
        return PagodaServer.start(ServerConfig.loopback(0), options, new PrintStream(OutputStream.nullOutputStream()));
    }

    private static void assertClosed(int port) {
        assertThrows(java.io.IOException.class, () -> new Socket("127.0.0.1", port).close(), "the port is closed");
    }

    @Test
    void engineDeathClosesTheServerAndExitsThree() throws Exception {
        PagodaServer server = start();
        int port = server.port();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> {
            try {
                return ServeCommand.awaitStop(server, new CountDownLatch(1), new PrintStream(err, true, StandardCharsets.UTF_8));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        server.engine().injectFault(new IllegalStateException("injected fault (test)"));
        assertEquals(ServeCommand.ENGINE_DEAD_EXIT_CODE, exit.get(30, TimeUnit.SECONDS));
        assertEquals(3, ServeCommand.ENGINE_DEAD_EXIT_CODE);
        String log = err.toString(StandardCharsets.UTF_8);
        assertTrue(log.contains("injected fault (test)") && log.contains("supervisor"), log);
        assertClosed(port);
    }

    @Test
    void aStopSignalClosesTheServerAndExitsZero() throws Exception {
        PagodaServer server = start();
        int port = server.port();
        CountDownLatch signal = new CountDownLatch(1);
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> {
            try {
                return ServeCommand.awaitStop(server, signal, new PrintStream(OutputStream.nullOutputStream()));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        new Socket("127.0.0.1", port).close(); // serving
        signal.countDown();
        assertEquals(0, exit.get(30, TimeUnit.SECONDS));
        assertClosed(port);
    }
}
