package io.pullroute.events;

import java.util.List;

/** Reading the event log in commit order. */
public interface EventLog {

  /** Events with {@code seq > afterSeq}, oldest first, at most {@code limit}. */
  List<Event> after(long afterSeq, int limit);

  /** The newest {@code seq}, or 0 when the log is empty. */
  long lastSeq();
}
