package parley.interop;

import java.lang.reflect.InvocationTargetException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.igniterealtime.smack.inttest.AbstractSmackIntTest;
import org.igniterealtime.smack.inttest.Configuration;
import org.igniterealtime.smack.inttest.FailedTest;
import org.igniterealtime.smack.inttest.SmackIntegrationTestFramework;
import org.igniterealtime.smack.inttest.SmackIntegrationTestFramework.TestRunResult;
import org.igniterealtime.smack.inttest.SuccessfulTest;
import org.igniterealtime.smack.inttest.TestNotPossible;
import org.igniterealtime.smack.inttest.TestResult;
import org.jivesoftware.smack.Smack;
import org.jivesoftware.smackx.bytestreams.socks5.Socks5Proxy;
import org.jivesoftware.smackx.iqregister.AccountManager;

import parley.interop.RunResults.Status;
import parley.interop.TestCatalog.TestCase;

/**
 * Runs the Smack Integration Test Framework against one Parley server (see {@link LauncherSettings})
 * and writes every test's outcome to a JSON file.
 *
 * sinttest aborts its whole run when a test throws a RuntimeException; the launcher then records that
 * test as failed and runs the tests that had not run yet again, until every test has an outcome.
 */
public final class SinttestLauncher {
  static final String NEEDS_REGISTRATION = "needs account registration (XEP-0077 in-band registration or XEP-0133"
      + " service administration): sinttest creates a fresh account for every low-level test";

  private SinttestLauncher() {}

  /** sinttest itself; exposes the result of a run that aborted. */
  private static final class Framework extends SmackIntegrationTestFramework {
    Framework(Configuration configuration) {
      super(configuration);
    }

    TestRunResult result() {
      return testRunResult;
    }
  }

  public static void main(String[] args) throws Exception {
    LauncherSettings settings = LauncherSettings.fromSystemProperties();
    long started = System.currentTimeMillis();
    // Its local SOCKS5 proxy (XEP-0065 file transfer) would listen on every interface, port 7777.
    Socks5Proxy.setLocalSocks5ProxyEnabled(false);
    // The XEP-0384 tests need an OMEMO implementation registered (libsignal, GPLv3: test use only).
    OmemoCrypto.install();
    ParleyConnection.install(settings);
    // Every connection is TLS with the pinned certificate (the server refuses plaintext), but Smack
    // sometimes asks AccountManager to register before it has marked the fresh connection secure
    // ("Creating account over insecure connection"): registration is allowed on these connections.
    AccountManager.sensitiveOperationOverInsecureConnectionDefault(true);
    StartedTests startedTests = new StartedTests();

    RunResults results = new RunResults();
    List<TestCase> pending = new ArrayList<>();
    for (TestCase test : TestCatalog.scan(settings.packages())) {
      if (!settings.only().isEmpty() && !settings.only().contains(test.key())) continue;
      if (test.lowLevel() && !settings.inBandRegistration()) results.record(test, Status.skipped, NEEDS_REGISTRATION, 0);
      else pending.add(test);
    }

    int runs = 0;
    while (!pending.isEmpty()) {
      runs++;
      startedTests.reset();
      Framework framework = new Framework(configuration(settings, pending));
      Throwable abort = null;
      try {
        framework.run();
      } catch (Throwable t) {
        abort = t instanceof InvocationTargetException && t.getCause() != null ? t.getCause() : t;
      }
      TestRunResult result = framework.result();
      String runId = result == null ? null : result.getTestRunId();
      if (result != null) collect(result, pending, results, runId);
      pending.removeIf(results::has);
      if (abort == null) {
        for (TestCase test : pending) results.record(test, Status.skipped, "sinttest did not run it", 0);
        break;
      }
      List<TestCase> culprits = culprits(abort, pending, startedTests.lastStarted());
      String why = describe(abort, runId);
      System.out.println("PARLEY-SINTTEST run " + runs + " aborted by " + culprits.stream().map(TestCase::key).toList() + ": " + why);
      if (culprits.isEmpty()) {
        for (TestCase test : pending) results.record(test, Status.failed, "sinttest's run aborted before this test: " + why, 0);
        break;
      }
      for (TestCase test : culprits) results.record(test, Status.failed, "aborted sinttest's run: " + why, 0);
      pending.removeAll(culprits);
    }

    long duration = System.currentTimeMillis() - started;
    results.write(Path.of(settings.resultsFile()), Smack.getVersion(), duration);
    System.out.println("PARLEY-SINTTEST done in " + duration + " ms over " + runs + " run(s): passed "
        + results.count(Status.passed) + ", failed " + results.count(Status.failed) + ", skipped " + results.count(Status.skipped));
    // Smack leaves non-daemon threads (reader, pinger) behind.
    System.exit(0);
  }

  private static Configuration configuration(LauncherSettings settings, List<TestCase> tests) throws Exception {
    Configuration.Builder builder = Configuration.builder();
    builder.setService(settings.domain());
    // for HTTPS in tests (HTTP upload); the XMPP stream is pinned by ParleyConnection
    builder.setServiceTlsPin(settings.pin());
    builder.setSecurityMode("required");
    builder.setReplyTimeout(String.valueOf(settings.replyTimeoutMs()));
    // Without accounts, sinttest's accountRegistration is inBandRegistration (XEP-0077).
    List<String[]> accounts = settings.accounts();
    if (!settings.inBandRegistration()) {
      builder.setUsernamesAndPassword(accounts.get(0)[0], accounts.get(0)[1], accounts.get(1)[0], accounts.get(1)[1],
          accounts.get(2)[0], accounts.get(2)[1]);
    }
    // One "Class.method" per test: a "Class.method" in disabledTests would disable the whole class.
    builder.setEnabledTests(tests.stream().map(TestCase::selector).collect(Collectors.joining(",")));
    builder.setDefaultConnection(ParleyConnection.NICKNAME);
    builder.setDebugger(settings.debug() ? "console" : "none");
    if (!settings.packages().isEmpty()) builder.addTestPackages(settings.packages().toArray(new String[0]));
    return builder.build();
  }

  private static void collect(TestRunResult result, List<TestCase> pending, RunResults results, String runId) {
    for (SuccessfulTest test : result.getSuccessfulTests()) record(test, pending, results, Status.passed, null);
    for (FailedTest test : result.getFailedTests()) {
      record(test, pending, results, Status.failed, describe(test.failureReason, runId));
    }
    for (TestNotPossible test : result.getNotPossibleTests()) {
      record(test, pending, results, Status.skipped, describe(test.testNotPossibleException, runId));
    }
    for (Map.Entry<Class<? extends AbstractSmackIntTest>, Throwable> entry : result.getImpossibleTestClasses().entrySet()) {
      for (TestCase test : pending) {
        if (test.testClass() == entry.getKey()) results.record(test, Status.skipped, describe(entry.getValue(), runId), 0);
      }
    }
  }

  private static void record(TestResult result, List<TestCase> pending, RunResults results, Status status, String reason) {
    for (TestCase test : pending) {
      if (test.method().equals(result.concreteTest.getMethod())) {
        results.record(test, status, reason, result.duration);
        return;
      }
    }
  }

  /**
   * The tests that aborted the run: the one that started last (and has no outcome), else the test
   * method or constructor (sinttest constructs every test class before running any) in the stack trace.
   */
  static List<TestCase> culprits(Throwable abort, List<TestCase> pending, String lastStarted) {
    List<TestCase> found = new ArrayList<>();
    if (lastStarted != null) {
      for (TestCase test : pending) if (test.shortName().equals(lastStarted)) found.add(test);
      if (!found.isEmpty()) return found;
    }
    for (Throwable t = abort; t != null && found.isEmpty(); t = t.getCause() == t ? null : t.getCause()) {
      for (StackTraceElement frame : t.getStackTrace()) {
        for (TestCase test : pending) {
          String name = test.testClass().getName();
          if (!frame.getClassName().equals(name) && !frame.getClassName().startsWith(name + "$")) continue;
          if (frame.getMethodName().equals("<init>") || frame.getMethodName().equals(test.method().getName())) found.add(test);
        }
        if (!found.isEmpty()) break;
      }
    }
    return found;
  }

  /** "AssertionFailedError: expected … (caused by …)", with sinttest's random run id replaced by "<run>". */
  static String describe(Throwable throwable, String runId) {
    String described = describe(throwable, 0);
    return runId == null ? described : described.replace(runId, "<run>");
  }

  private static String describe(Throwable throwable, int depth) {
    String text = throwable.getClass().getSimpleName() + (throwable.getMessage() == null ? "" : ": " + throwable.getMessage());
    Throwable cause = throwable.getCause();
    if (cause == null || cause == throwable || depth >= 2) return text;
    return text + " (caused by " + describe(cause, depth + 1) + ")";
  }
}
