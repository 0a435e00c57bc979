package parley.interop;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.igniterealtime.smack.inttest.AbstractSmackIntTest;
import org.igniterealtime.smack.inttest.AbstractSmackIntegrationTest;
import org.igniterealtime.smack.inttest.AbstractSmackLowLevelIntegrationTest;
import org.igniterealtime.smack.inttest.annotations.SmackIntegrationTest;
import org.igniterealtime.smack.inttest.annotations.SpecificationReference;
import org.reflections.Reflections;
import org.reflections.scanners.SubTypesScanner;

/** Every sinttest test method on the classpath, found the way sinttest finds them. */
final class TestCatalog {
  /** The packages sinttest scans when none are configured. */
  private static final String[] PACKAGES = {
    "org.jivesoftware.smackx", "org.jivesoftware.smack", "org.igniterealtime.smackx", "org.igniterealtime.smack",
  };

  /**
   * One test method. {@code key} is sinttest's own short form ("smackx.ping.PingIntegrationTest.pingServer"),
   * which its enabledTests setting accepts too.
   */
  record TestCase(Class<? extends AbstractSmackIntTest> testClass, Method method, String key, String spec, boolean lowLevel) {
    /** What sinttest prints for it: "PingIntegrationTest.pingServer". */
    String shortName() {
      return testClass.getSimpleName() + "." + method.getName();
    }

    /** The enabledTests entry that selects exactly this method. */
    String selector() {
      return testClass.getName() + "." + method.getName();
    }
  }

  private TestCatalog() {}

  /** The tests in these packages, or in sinttest's when the list is empty. */
  static List<TestCase> scan(List<String> packages) {
    Object[] scanned = packages.isEmpty() ? PACKAGES : packages.toArray();
    Reflections reflections = new Reflections(scanned, new SubTypesScanner());
    Set<Class<? extends AbstractSmackIntTest>> classes = new HashSet<>();
    classes.addAll(reflections.getSubTypesOf(AbstractSmackIntegrationTest.class));
    classes.addAll(reflections.getSubTypesOf(AbstractSmackLowLevelIntegrationTest.class));
    List<TestCase> tests = new ArrayList<>();
    for (Class<? extends AbstractSmackIntTest> testClass : classes) {
      if (Modifier.isAbstract(testClass.getModifiers())) continue;
      if (testClass.getName().startsWith("org.igniterealtime.smack.inttest.unittest")) continue; // sinttest skips these too
      boolean lowLevel = AbstractSmackLowLevelIntegrationTest.class.isAssignableFrom(testClass);
      SpecificationReference reference = testClass.getAnnotation(SpecificationReference.class);
      for (Method method : testClass.getMethods()) {
        SmackIntegrationTest annotation = method.getAnnotation(SmackIntegrationTest.class);
        if (annotation == null) continue;
        if (!Character.isLowerCase(method.getName().charAt(0))) {
          // sinttest reads "Class.Method" as a class name, so such a method could not be selected alone
          throw new IllegalStateException("test method name does not start in lower case: " + method);
        }
        tests.add(new TestCase(testClass, method, keyOf(testClass, method), specOf(reference, annotation), lowLevel));
      }
    }
    tests.sort(Comparator.comparing(TestCase::key));
    return tests;
  }

  private static String keyOf(Class<?> testClass, Method method) {
    String name = testClass.getName();
    if (name.startsWith("org.jivesoftware.")) name = name.substring("org.jivesoftware.".length());
    return name + "." + method.getName();
  }

  /** "XEP-0199 §4.2", or null when the class names no specification. */
  private static String specOf(SpecificationReference reference, SmackIntegrationTest annotation) {
    if (reference == null || reference.document().isBlank()) return null;
    String spec = reference.document().trim();
    return annotation.section().isBlank() ? spec : spec + " §" + annotation.section().trim();
  }
}
