package io.pullroute.http;

import java.nio.charset.Charset;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.MimeTypes;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Refuses a request whose {@code Content-Type} names a charset this JVM does not know (415), in
 * front of a servlet that would fail on it: CometD's transport threw while reading such a message
 * and the request was never answered. Thread-safe.
 */
public final class KnownCharset extends Handler.Wrapper {

  /** Whether {@code contentType} names no charset, or one this JVM can decode. */
  public static boolean known(String contentType) {
    String name = contentType == null ? null : MimeTypes.getCharsetFromContentType(contentType);
    try {
      return name == null || Charset.isSupported(name);
    } catch (IllegalArgumentException illegalName) {
      return false;
    }
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    if (!known(request.getHeaders().get(HttpHeader.CONTENT_TYPE))) {
      Response.writeError(
          request, response, callback, 415, "the body's charset is not one the server knows");
      return true;
    }
    return super.handle(request, response, callback);
  }
}
