package io.pullroute.testing;

/** The stores every store and API test runs on. */
public enum StoreKind {
  H2,
  POSTGRES
}
