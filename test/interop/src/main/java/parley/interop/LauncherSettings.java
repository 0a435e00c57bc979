package parley.interop;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What the launcher needs to know about the server under test, from system properties (set by
 * test/interop/sinttest.ts):
 * <ul>
 * <li>{@code parley.host}, {@code parley.port}: where the c2s listener (STARTTLS) is; sinttest itself
 * has no port setting and would dial 5222 or the SRV answer.</li>
 * <li>{@code parley.domain}: the XMPP service domain.</li>
 * <li>{@code parley.pin}: the server certificate's pin, {@code CERTSHA256:<hex>} (java-pinning).</li>
 * <li>{@code parley.accounts}: three pre-created accounts, {@code user:password,user:password,user:password};
 * empty: sinttest registers its own accounts by XEP-0077 in-band registration, also the fresh ones
 * every low-level test needs.</li>
 * <li>{@code parley.results}: the JSON file the results are written to.</li>
 * <li>{@code parley.replyTimeoutMs} (optional): how long a test waits for an answer.</li>
 * <li>{@code parley.only} (optional): comma-separated test keys to run instead of all.</li>
 * <li>{@code parley.debug} (optional, true): print every stanza (Smack's console debugger).</li>
 * <li>{@code parley.packages} (optional): comma-separated Java packages to scan for tests instead of sinttest's.</li>
 * </ul>
 */
record LauncherSettings(String host, int port, String domain, String pin, List<String[]> accounts,
    String resultsFile, int replyTimeoutMs, List<String> only, boolean debug, List<String> packages) {

  /** sinttest registers its accounts itself (XEP-0077): no pre-created ones. */
  boolean inBandRegistration() {
    return accounts.isEmpty();
  }

  static LauncherSettings fromSystemProperties() {
    List<String[]> accounts = new ArrayList<>();
    for (String account : list("parley.accounts")) {
      String[] parts = account.split(":", 2);
      if (parts.length != 2) throw new IllegalArgumentException("parley.accounts: expected user:password, got " + account);
      accounts.add(parts);
    }
    if (accounts.size() != 3 && !accounts.isEmpty()) {
      throw new IllegalArgumentException("parley.accounts: sinttest needs exactly three accounts, or none (in-band registration)");
    }
    return new LauncherSettings(
        required("parley.host"),
        Integer.parseInt(required("parley.port")),
        required("parley.domain"),
        required("parley.pin"),
        accounts,
        required("parley.results"),
        Integer.parseInt(System.getProperty("parley.replyTimeoutMs", "10000")),
        list("parley.only"),
        Boolean.parseBoolean(System.getProperty("parley.debug", "false")),
        list("parley.packages"));
  }

  private static List<String> list(String name) {
    String value = System.getProperty(name, "").trim();
    return value.isEmpty() ? List.of() : Arrays.stream(value.split(",")).map(String::trim).toList();
  }

  private static String required(String name) {
    String value = System.getProperty(name);
    if (value == null || value.isBlank()) throw new IllegalArgumentException("missing system property " + name);
    return value;
  }
}
