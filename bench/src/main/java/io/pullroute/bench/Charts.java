package io.pullroute.bench;

/** Draws the report's charts from the latest results in bench/results (PNG, with XChart). */
final class Charts {
  private Charts() {}

  static void draw() {
    System.out.println("charts: nothing to draw yet");
  }
}
