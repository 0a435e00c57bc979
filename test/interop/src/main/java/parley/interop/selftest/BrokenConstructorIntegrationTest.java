package parley.interop.selftest;

import org.igniterealtime.smack.inttest.AbstractSmackIntegrationTest;
import org.igniterealtime.smack.inttest.SmackIntegrationTestEnvironment;
import org.igniterealtime.smack.inttest.annotations.SmackIntegrationTest;

/** The launcher's own check: sinttest constructs every test class before it runs any; this one throws. */
public class BrokenConstructorIntegrationTest extends AbstractSmackIntegrationTest {
  public BrokenConstructorIntegrationTest(SmackIntegrationTestEnvironment environment) {
    super(environment);
    throw new IllegalArgumentException("this constructor always throws");
  }

  @SmackIntegrationTest
  public void neverRuns() {}
}
