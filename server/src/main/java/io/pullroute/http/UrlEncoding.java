package io.pullroute.http;

import io.pullroute.common.PullrouteException.InvalidInput;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Optional;
import org.eclipse.jetty.util.UrlEncoded;

/**
 * Checks of percent-encoded query strings and forms, whose parsers drop a field they cannot read,
 * or read bytes that are not UTF-8 as U+FFFD.
 */
public final class UrlEncoding {
  private UrlEncoding() {}

  /**
   * The name of the first field of {@code encoded} that is not valid percent-encoding of UTF-8 text
   * ({@code %zz}, {@code %ff}), if any.
   */
  public static Optional<String> firstBadField(String encoded) {
    if (encoded == null || encoded.indexOf('%') < 0) {
      return Optional.empty();
    }
    for (String field : encoded.split("&")) {
      if (!decodes(field)) {
        int equals = field.indexOf('=');
        return Optional.of(equals < 0 ? field : field.substring(0, equals));
      }
    }
    return Optional.empty();
  }

  /** Whether {@code field}'s escapes are two hex digits each and its bytes are UTF-8. */
  private static boolean decodes(String field) {
    if (field.indexOf('%') < 0) {
      return true;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(field.length());
    for (int i = 0; i < field.length(); i++) {
      char c = field.charAt(i);
      if (c != '%') {
        bytes.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
        continue;
      }
      if (i + 2 >= field.length()
          || !HexFormat.isHexDigit(field.charAt(i + 1))
          || !HexFormat.isHexDigit(field.charAt(i + 2))) {
        return false;
      }
      bytes.write(HexFormat.fromHexDigits(field, i + 1, i + 3));
      i += 2;
    }
    try {
      StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes.toByteArray()));
      return true;
    } catch (CharacterCodingException notUtf8) {
      return false;
    }
  }

  /**
   * The decoded value of the first field named {@code name} in the query string {@code query}
   * (percent-encoding and {@code +} decoded in names and values; a field without {@code =} has the
   * value ""), or null. Read where it is, without decoding the other fields: a poll reads one
   * parameter per request. The query must have passed {@link #requireValidQuery}.
   */
  static String queryParam(String query, String name) {
    if (query == null) {
      return null;
    }
    for (int from = 0; from < query.length(); ) {
      int end = query.indexOf('&', from);
      if (end < 0) {
        end = query.length();
      }
      int equals = query.indexOf('=', from);
      int nameEnd = equals < 0 || equals > end ? end : equals;
      if (named(query, from, nameEnd, name)) {
        return nameEnd == end ? "" : decode(query, nameEnd + 1, end);
      }
      from = end + 1;
    }
    return null;
  }

  /** Whether {@code query}'s characters from {@code from} to {@code to} encode {@code name}. */
  private static boolean named(String query, int from, int to, String name) {
    for (int i = from; i < to; i++) {
      char c = query.charAt(i);
      if (c == '%' || c == '+') {
        return decode(query, from, to).equals(name);
      }
    }
    return to - from == name.length() && query.regionMatches(from, name, 0, name.length());
  }

  private static String decode(String query, int from, int to) {
    return UrlEncoded.decodeString(query, from, to - from, StandardCharsets.UTF_8);
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
                  "query",
                  "the query parameter " + name + " is not valid percent-encoding of UTF-8 text");
            });
  }
}
