package io.pullroute.http;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The methods the server serves a path with, from its routes ({@code METHOD path}, path parameters
 * as {@code {name}} or {@code <name>}): what a 405 names in its {@code Allow} header.
 */
final class RouteMethods implements Function<String, Set<String>> {
  private static final Pattern PARAMETER = Pattern.compile("\\{[^}/]+}|<[^>]+>");

  private record Route(String method, Pattern path) {}

  private final Supplier<List<String>> routes;
  private volatile List<Route> compiled; // at the first call: every route is registered by then

  RouteMethods(Supplier<List<String>> routes) {
    this.routes = routes;
  }

  @Override
  public Set<String> apply(String path) {
    Set<String> methods = new TreeSet<>();
    for (Route route : compiled()) {
      if (route.path().matcher(path).matches()) {
        methods.add(route.method());
      }
    }
    return methods;
  }

  private List<Route> compiled() {
    List<Route> known = compiled;
    if (known == null) {
      known =
          routes.get().stream()
              .map(route -> route.split(" ", 2))
              .map(parts -> new Route(parts[0], pattern(parts[1])))
              .toList();
      compiled = known;
    }
    return known;
  }

  static Pattern pattern(String path) {
    StringBuilder regex = new StringBuilder();
    Matcher parameter = PARAMETER.matcher(path);
    int last = 0;
    while (parameter.find()) {
      regex.append(Pattern.quote(path.substring(last, parameter.start())));
      regex.append(parameter.group().startsWith("{") ? "[^/]+" : ".+");
      last = parameter.end();
    }
    regex.append(Pattern.quote(path.substring(last)));
    return Pattern.compile(regex.toString());
  }
}
