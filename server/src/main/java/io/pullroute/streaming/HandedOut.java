package io.pullroute.streaming;

import java.util.Arrays;

/**
 * The seqs of the events a session was handed that a rewind may read again: every one above a floor
 * the session moves up ({@link #forgetUpTo}), and at least the {@link #KEPT} highest below it. A
 * sorted array: events are mostly handed out in seq order, so a seq is mostly appended, and
 * forgetting moves the start. Not thread-safe: {@link LiveSession} guards it.
 */
final class HandedOut {
  /** How many seqs at or below the floor are kept, for a rewind to a mark older than the floor. */
  static final int KEPT = 64;

  private long[] seqs = new long[16];
  private int start;
  private int end;

  void add(long seq) {
    if (end > start && seq <= seqs[end - 1]) {
      int at = Arrays.binarySearch(seqs, start, end, seq);
      if (at >= 0) {
        return;
      }
      insert(-at - 1, seq);
      return;
    }
    if (end == seqs.length) {
      compact();
    }
    seqs[end++] = seq;
  }

  boolean contains(long seq) {
    return end > start
        && seq >= seqs[start]
        && seq <= seqs[end - 1]
        && Arrays.binarySearch(seqs, start, end, seq) >= 0;
  }

  /** The highest seq handed out, or {@link Long#MIN_VALUE}. */
  long max() {
    return end > start ? seqs[end - 1] : Long.MIN_VALUE;
  }

  /** Forgets the seqs at or below {@code floor}, but the {@link #KEPT} highest. */
  void forgetUpTo(long floor) {
    int keepFrom = Math.max(start, end - KEPT);
    while (start < keepFrom && seqs[start] <= floor) {
      start++;
    }
  }

  int size() {
    return end - start;
  }

  private void insert(int at, long seq) {
    if (end == seqs.length) {
      int shift = start;
      compact();
      at -= shift;
    }
    System.arraycopy(seqs, at, seqs, at + 1, end - at);
    seqs[at] = seq;
    end++;
  }

  /** Moves the seqs to the start of an array half as large again (at least 16): room at the end. */
  private void compact() {
    int size = end - start;
    long[] moved = new long[Math.max(16, size + (size >> 1) + 1)];
    System.arraycopy(seqs, start, moved, 0, size);
    seqs = moved;
    start = 0;
    end = size;
  }
}
