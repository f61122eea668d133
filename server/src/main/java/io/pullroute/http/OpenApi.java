package io.pullroute.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Builds the OpenAPI 3.1 document from the route table. */
final class OpenApi {
  private static final Pattern PATH_PARAMETER = Pattern.compile("\\{([^}]+)}");

  private OpenApi() {}

  static ObjectNode document(List<RouteTable.Route> routes) {
    ObjectNode doc = Json.MAPPER.createObjectNode();
    doc.put("openapi", "3.1.0");
    doc.putObject("info")
        .put("title", "pullroute")
        .put("version", "0.1.0")
        .put(
            "description",
            "Pull-mode routing and event streaming for contact centers. Errors are"
                + " ErrorResponse bodies unless noted.");
    ObjectNode components = doc.putObject("components");
    components
        .putObject("securitySchemes")
        .putObject("bearer")
        .put("type", "http")
        .put("scheme", "bearer")
        .put("bearerFormat", "JWT");
    ObjectNode errorSchema = components.putObject("schemas").putObject("ErrorResponse");
    errorSchema.put("type", "object");
    ObjectNode properties = errorSchema.putObject("properties");
    properties.putObject("code").put("type", "integer");
    properties.putObject("message").put("type", "string");
    ObjectNode error = properties.putObject("errors").put("type", "array").putObject("items");
    error.put("type", "object");
    ObjectNode errorProperties = error.putObject("properties");
    for (String name : List.of("scope", "reason", "message")) {
      errorProperties.putObject(name).put("type", "string");
    }

    ObjectNode paths = doc.putObject("paths");
    for (RouteTable.Route route : routes) {
      ObjectNode pathItem =
          paths.has(route.path())
              ? (ObjectNode) paths.get(route.path())
              : paths.putObject(route.path());
      ObjectNode operation = pathItem.putObject(route.method().name().toLowerCase(Locale.ROOT));
      operation.putArray("tags").add(route.tag());
      operation.put("summary", route.summary());
      operation.put(
          "operationId",
          route.method().name().toLowerCase(Locale.ROOT)
              + route.path().replaceAll("[^A-Za-z0-9]+", "_"));
      ArrayNode parameters = operation.putArray("parameters");
      Matcher matcher = PATH_PARAMETER.matcher(route.path());
      while (matcher.find()) {
        ObjectNode parameter = parameters.addObject();
        parameter.put("name", matcher.group(1)).put("in", "path").put("required", true);
        parameter.putObject("schema").put("type", "string");
      }
      if (route.authenticated()) {
        operation.putArray("security").addObject().putArray("bearer");
      } else {
        operation.putArray("security");
      }
      ObjectNode responses = operation.putObject("responses");
      responses
          .putObject("default")
          .put("description", "ErrorResponse on failure")
          .putObject("content")
          .putObject("application/json")
          .putObject("schema")
          .put("$ref", "#/components/schemas/ErrorResponse");
      responses.putObject("2XX").put("description", "success");
    }
    return doc;
  }
}
