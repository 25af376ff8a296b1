package io.moodleautopilot.core.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void pathWalksADocumentAndAMissingMemberIsNeverNull() {
        JsonValue v = Json.parse("{\"a\":{\"b\":[1,\"two\",true,null]},\"n\":12345678901,\"f\":1.5}");
        assertThat(v.path("a").path("b").path(1).asText()).isEqualTo("two");
        assertThat(v.path("a").path("b").path(0).asLong()).isEqualTo(1);
        assertThat(v.path("n").asLong()).isEqualTo(12345678901L);
        assertThat(v.path("f").asDouble()).isEqualTo(1.5);
        assertThat(v.path("f").asText()).isEqualTo("1.5");
        assertThat(v.path("a").path("b").path(2).asBoolean()).isTrue();
        assertThat(v.path("a").path("b").path(3).isNull()).isTrue();
        assertThat(v.path("a").path("b").path(3).asText("fallback")).isEqualTo("fallback");
        JsonValue missing = v.path("x").path("y").path(7);
        assertThat(missing.isMissingNode()).isTrue();
        assertThat(missing.asText()).isEmpty();
        assertThat(missing.asText("fallback")).isEqualTo("fallback");
        assertThat(missing.isTextual()).isFalse();
        assertThat(missing.size()).isZero();
        assertThat(v.hasNonNull("a")).isTrue();
        assertThat(v.path("a").path("b").isArray()).isTrue();
        assertThat(v.path("a").isObject()).isTrue();
    }

    @Test
    void iteratesArraysAndObjectsInDocumentOrder() {
        JsonValue v = Json.parse("{\"z\":1,\"a\":2,\"m\":[\"x\",\"y\"]}");
        List<String> names = new ArrayList<>();
        v.fieldNames().forEach(names::add);
        assertThat(names).containsExactly("z", "a", "m");
        List<String> items = new ArrayList<>();
        v.path("m").forEach(i -> items.add(i.asText()));
        assertThat(items).containsExactly("x", "y");
        assertThat(v.properties()).extracting(e -> e.getKey()).containsExactly("z", "a", "m");
    }

    @Test
    void buildsAndWritesObjectsThatReadBack() {
        JsonObject o = new JsonObject().put("s", "quote \" and \\ and \n").put("n", 3L).put("b", true).putNull("nil");
        o.putObject("child").put("k", "v");
        o.putArray("list").add("one").add(2L).addObject().put("deep", 1);
        String text = o.toString();
        assertThat(text).startsWith("{\"s\":\"quote \\\" and \\\\ and \\n\",\"n\":3,\"b\":true,\"nil\":null,");
        JsonValue back = Json.parse(text);
        assertThat(back.path("s").asText()).isEqualTo("quote \" and \\ and \n");
        assertThat(back.path("child").path("k").asText()).isEqualTo("v");
        assertThat(back.path("list").path(2).path("deep").asInt()).isEqualTo(1);
        assertThat(back.path("nil").isNull()).isTrue();
        assertThat(o.path("n").asLong()).isEqualTo(3);
    }

    @Test
    void aSyntaxErrorSaysWhereButNeverQuotesTheText() {
        assertThatThrownBy(() -> Json.parse("{\"password\": s3cr3t-value}"))
                .isInstanceOf(JsonException.class)
                .hasMessageContaining("line 1")
                .hasMessageNotContaining("s3cr3t");
        assertThatThrownBy(() -> Json.parse("")).isInstanceOf(JsonException.class);
        assertThatThrownBy(() -> Json.parse((String) null)).isInstanceOf(JsonException.class);
        assertThat(Json.parse("null").isNull()).isTrue();
    }

    @Test
    void nullMembersAreWrittenNotDropped() {
        assertThat(new JsonObject().putNull("a").put("b", (String) null).toString()).isEqualTo("{\"a\":null,\"b\":null}");
    }

    @Test
    void quotesStringsAsJsonLiterals() {
        assertThat(Json.quote("a\"b\u0001")).isEqualTo("\"a\\\"b\\u0001\"");
        assertThat(new String(Json.writePretty(new JsonObject().put("a", 1)), java.nio.charset.StandardCharsets.UTF_8))
                .contains("\n").contains("\"a\" : 1");
    }
}
