package parley.interop.selftest;

import org.igniterealtime.smack.inttest.AbstractSmackIntegrationTest;
import org.igniterealtime.smack.inttest.SmackIntegrationTestEnvironment;
import org.igniterealtime.smack.inttest.annotations.SmackIntegrationTest;

/**
 * The launcher's own check (test/interop/sinttest.test.ts runs it with parley.packages set to this
 * package; sinttest's default scan does not reach it): a RuntimeException aborts sinttest's whole run,
 * like "No field named muc#roomconfig_maxusers" does in its MUC tests.
 */
public class AbortingIntegrationTest extends AbstractSmackIntegrationTest {
  public AbortingIntegrationTest(SmackIntegrationTestEnvironment environment) {
    super(environment);
  }

  @SmackIntegrationTest
  public void aPassesBefore() {}

  @SmackIntegrationTest
  public void bAbortsTheRun() {
    throw new IllegalStateException("No field named muc#roomconfig_maxusers");
  }

  @SmackIntegrationTest
  public void cPassesAfter() {}
}
