package parley.interop;

import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.igniterealtime.smack.inttest.SmackIntegrationTestFramework;

/**
 * Remembers the last test sinttest started, from its "PingIntegrationTest.pingServer (Normal) Start"
 * log line: when a test throws a RuntimeException sinttest aborts the whole run (and clears its own
 * "test under execution" on the way out), so this is how the launcher tells which test it was.
 */
final class StartedTests extends Handler {
  private static final String START = " Start";

  /** Held strongly: java.util.logging keeps loggers only weakly. */
  private final Logger frameworkLogger = Logger.getLogger(SmackIntegrationTestFramework.class.getName());
  private volatile String lastStarted;

  StartedTests() {
    frameworkLogger.addHandler(this);
  }

  /** "PingIntegrationTest.pingServer", or null when no test started since the last reset. */
  String lastStarted() {
    return lastStarted;
  }

  void reset() {
    lastStarted = null;
  }

  @Override
  public void publish(LogRecord record) {
    String message = record.getMessage();
    if (message == null || !message.endsWith(START)) return;
    int details = message.indexOf(" (");
    lastStarted = details > 0 ? message.substring(0, details) : message.substring(0, message.length() - START.length());
  }

  @Override
  public void flush() {}

  @Override
  public void close() {}
}
