package io.pullroute.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.pullroute.common.Ids;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.util.List;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The answers of errors Jetty raises before pullroute's routes run (a path that is not valid UTF-8,
 * a URI or headers over Jetty's limits, a failure inside the CometD servlet) as the same JSON
 * {@link ErrorResponse} as every route's, with a correlation id. Jetty wrote them as HTML, or with
 * no body at all. For the server (errors outside any context, and requests its parser refuses) and
 * for a servlet context (CometD's).
 */
public final class JsonErrors extends org.eclipse.jetty.server.handler.ErrorHandler {
  private static final Logger LOG = LoggerFactory.getLogger(JsonErrors.class);

  /**
   * Every method gets the error body. (Jetty writes one for GET, POST and HEAD only: a PUT, PATCH
   * or DELETE with a path that is not valid UTF-8 was an empty 400.)
   */
  @Override
  public boolean errorPageForMethod(String method) {
    return true;
  }

  @Override
  protected boolean generateAcceptableResponse(
      Request request,
      Response response,
      Callback callback,
      String contentType,
      List<Charset> charsets,
      int code,
      String message,
      Throwable cause) {
    return answer(response, callback, code, message, cause);
  }

  @Override
  public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
    fields.put(HttpHeader.CONTENT_TYPE, "application/json");
    fields.put(new HttpField("X-Correlation-Id", Ids.newId()));
    return ByteBuffer.wrap(body(status, reason, null));
  }

  private static boolean answer(
      Response response, Callback callback, int code, String message, Throwable cause) {
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    if (response.getHeaders().get("X-Correlation-Id") == null) {
      response.getHeaders().put("X-Correlation-Id", Ids.newId());
    }
    response.write(true, ByteBuffer.wrap(body(code, message, cause)), callback);
    return true;
  }

  private static byte[] body(int code, String message, Throwable cause) {
    ErrorResponse body;
    if (code >= 500) {
      if (cause != null) {
        LOG.error("unhandled failure", cause);
      }
      body = ErrorResponse.of(code, "server", "internalError", "internal server error");
    } else {
      String said = message == null || message.isBlank() ? HttpStatus.getMessage(code) : message;
      body = ErrorResponse.of(code, "request", "invalid", said);
    }
    try {
      return Json.MAPPER.writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
