package io.pullroute.events;

import java.util.List;

/** Reading the event log in commit order. */
public interface EventLog {

  /** Events with {@code seq > afterSeq}, oldest first, at most {@code limit}. */
  List<Event> after(long afterSeq, int limit);

  /** The newest {@code seq}, or 0 when the log is empty. */
  long lastSeq();

  /**
   * From now on, hands the batches this node appends to {@code receiver} as their transactions end
   * (see {@link CommittedEvents}).
   */
  void handOverTo(CommittedEvents.Receiver receiver);

  /** Undoes {@link #handOverTo}. */
  void stopHandingOverTo(CommittedEvents.Receiver receiver);
}
