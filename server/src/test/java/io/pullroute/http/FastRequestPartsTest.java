package io.pullroute.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.UrlEncoded;
import org.junit.jupiter.api.Test;

/**
 * The parts of a request the fast path reads without Jetty's or a regular expression's help: a
 * query parameter, a route's path parameters, a {@code /via/} path's organization. Each reads as
 * the general parser it replaced did.
 */
class FastRequestPartsTest {
  private static final List<String> QUERIES =
      List.of(
          "maxEvents=5",
          "a=1&maxEvents=7&b=2",
          "maxEvents=1&maxEvents=2",
          "maxEvents",
          "maxEvents=",
          "maxEvents=&x=1",
          "x=maxEvents&maxEvents=3",
          "maxEventsX=1&XmaxEvents=2",
          "MAXEVENTS=4",
          "max%45vents=9",
          "max+Events=8&maxEvents=%32%30",
          "agentGroup=Sales+%26+Support&placeGroup=caf%C3%A9",
          "placeGroup=a=b=c",
          "&&agentGroup=x&",
          "=1&agentGroup",
          "");

  @Test
  void a_query_parameter_reads_as_jettys_parser_reads_it() {
    for (String query : QUERIES) {
      Fields jetty = new Fields(true); // what Request.extractQueryParameters fills
      UrlEncoded.decodeUtf8To(query, jetty);
      for (String name :
          List.of("maxEvents", "agentGroup", "placeGroup", "x", "max Events", "missing")) {
        Fields.Field field = jetty.get(name);
        assertThat(UrlEncoding.queryParam(query, name))
            .as("%s in %s", name, query)
            .isEqualTo(field == null ? null : field.getValue());
      }
    }
    assertThat(UrlEncoding.queryParam(null, "maxEvents")).isNull();
  }

  @Test
  void a_route_matches_whole_segments_and_one_trailing_slash() {
    FastRoute route =
        FastRoute.of("GET", "/via/v3/organizations/{orgId}/streaming/events", call -> null);

    assertThat(route.match("GET", "/via/v3/organizations/o-1/streaming/events"))
        .isEqualTo(Map.of("orgId", "o-1"));
    assertThat(route.match("GET", "/via/v3/organizations/o%2F1/streaming/events/"))
        .isEqualTo(Map.of("orgId", "o%2F1"));
    assertThat(route.match("POST", "/via/v3/organizations/o-1/streaming/events")).isNull();
    for (String other :
        List.of(
            "/via/v3/organizations//streaming/events",
            "/via/v3/organizations/o-1/x/streaming/events",
            "/via/v3/organizations/o-1/streaming/events//",
            "/via/v3/organizations/o-1/streaming/eventsX",
            "/via/v3/organizations/o-1/streaming",
            "/via/v3/organizations/o-1",
            "/via/v2/organizations/o-1/streaming/events")) {
      assertThat(route.match("GET", other)).as(other).isNull();
    }

    FastRoute last = FastRoute.of("POST", "/api/v2/me/workbins/{id}", call -> null);
    assertThat(last.match("POST", "/api/v2/me/workbins/w-1")).isEqualTo(Map.of("id", "w-1"));
    assertThat(last.match("POST", "/api/v2/me/workbins/w-1/")).isEqualTo(Map.of("id", "w-1"));
    assertThat(last.match("POST", "/api/v2/me/workbins/")).isNull();
    assertThat(last.match("POST", "/api/v2/me/workbins/w-1/x")).isNull();

    FastRoute plain = FastRoute.of("POST", "/api/v1/events", call -> null);
    assertThat(plain.match("POST", "/api/v1/events")).isEmpty();
    assertThat(plain.match("POST", "/api/v1/events/")).isEmpty();
    assertThat(plain.match("POST", "/api/v1/eventsX")).isNull();
  }

  @Test
  void a_route_parameter_must_be_a_whole_segment() {
    assertThatThrownBy(
            () ->
                FastRoute.of(
                    "GET", "/files/{name}.json", call -> CompletableFuture.completedFuture(null)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("{name}");
  }

  @Test
  void a_via_path_names_its_organization() {
    assertThat(HttpServer.viaOrganization("/via/v3/organizations/o-1/streaming/events"))
        .isEqualTo("o-1");
    assertThat(HttpServer.viaOrganization("/via/v2/organizations/o-1")).isEqualTo("o-1");
    assertThat(HttpServer.viaOrganization("/via/v2/organizations/o-1/")).isEqualTo("o-1");
    for (String other :
        List.of(
            "/via/v4/organizations/o-1/x",
            "/via/v3/organizations/",
            "/via/v3/organizations//x",
            "/via/v3/organization/o-1",
            "/via/v3",
            "/api/v2/me/workbins/w-1",
            "/x/via/v3/organizations/o-1")) {
      assertThat(HttpServer.viaOrganization(other)).as(other).isNull();
    }
  }
}
