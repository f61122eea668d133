package io.pullroute.http;

import io.pullroute.common.PullrouteException.InvalidInput;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Optional;

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
