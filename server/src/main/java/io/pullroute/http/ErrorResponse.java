package io.pullroute.http;

import java.util.List;

/** The error body of spec 003, used by every route but the token endpoint and the workbin API. */
public record ErrorResponse(int code, String message, List<Error> errors) {

  public record Error(String scope, String reason, String message) {}

  public static ErrorResponse of(int code, String scope, String reason, String message) {
    return new ErrorResponse(code, message, List.of(new Error(scope, reason, message)));
  }
}
