package io.pullroute.http;

import io.pullroute.common.PullrouteException.InvalidInput;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Checks of percent-encoded query strings and forms, whose parsers drop a field they cannot read.
 */
public final class UrlEncoding {
  private UrlEncoding() {}

  /** The name of the first field of {@code encoded} that is not valid percent-encoding, if any. */
  public static Optional<String> firstBadField(String encoded) {
    if (encoded == null || encoded.indexOf('%') < 0) {
      return Optional.empty();
    }
    for (String field : encoded.split("&")) {
      try {
        URLDecoder.decode(field, StandardCharsets.UTF_8);
      } catch (IllegalArgumentException badEscape) {
        int equals = field.indexOf('=');
        return Optional.of(equals < 0 ? field : field.substring(0, equals));
      }
    }
    return Optional.empty();
  }

  /**
   * Refuses a query string with a parameter that is not valid percent-encoding: a 400 naming {@code
   * query}, checked before anything else, since the parsers drop such a parameter.
   */
  static void requireValidQuery(String query) {
    firstBadField(query)
        .ifPresent(
            name -> {
              throw new InvalidInput(
                  "query", "the query parameter " + name + " is not valid percent-encoding");
            });
  }
}
