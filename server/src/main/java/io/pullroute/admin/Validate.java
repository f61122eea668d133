package io.pullroute.admin;

import io.pullroute.common.PullrouteException.InvalidInput;
import java.util.regex.Pattern;

/** Field checks shared by the administration records; each failure names its field. */
final class Validate {
  private static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9._@-]{1,64}");
  static final int MAX_NAME = 100;
  static final int MAX_TEXT = 1000;

  private Validate() {}

  static String name(String field, String value) {
    if (value == null || value.isBlank()) {
      throw InvalidInput.required(field);
    }
    String trimmed = value.strip();
    if (trimmed.length() > MAX_NAME) {
      throw new InvalidInput(field, field + " must be at most " + MAX_NAME + " characters");
    }
    return trimmed;
  }

  static String username(String value) {
    if (value == null || value.isBlank()) {
      throw InvalidInput.required("username");
    }
    if (!USERNAME.matcher(value).matches()) {
      throw new InvalidInput(
          "username", "username must be 1-64 letters, digits or . _ @ - characters");
    }
    return value;
  }

  /** Optional free text: null stays null, blank becomes null. */
  static String text(String field, String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    if (value.length() > MAX_TEXT) {
      throw new InvalidInput(field, field + " must be at most " + MAX_TEXT + " characters");
    }
    return value;
  }

  static Integer seconds(String field, Integer value) {
    if (value != null && (value < 0 || value > 31_536_000)) {
      throw new InvalidInput(field, field + " must be between 0 and 31536000 seconds");
    }
    return value;
  }
}
