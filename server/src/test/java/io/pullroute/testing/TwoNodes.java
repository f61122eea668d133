package io.pullroute.testing;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Two nodes of the server on one PostgreSQL store, started once for the test class that extends
 * this and stopped after it (skipped where no PostgreSQL is given, as every PostgreSQL test).
 */
public abstract class TwoNodes {
  protected static TestServer first;
  protected static TestServer second;

  @BeforeAll
  static void startTwoNodes() {
    first = TestServer.start(StoreKind.POSTGRES);
    second = first.anotherNode();
  }

  @AfterAll
  static void stopTwoNodes() {
    if (second != null) {
      second.close();
      second = null;
    }
    if (first != null) {
      first.close();
      first = null;
    }
  }
}
