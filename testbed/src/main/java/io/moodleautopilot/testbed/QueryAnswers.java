package io.moodleautopilot.testbed;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/** The AWS query protocol for the stand-ins: the form a request sends, and an XML answer in the service's namespace. */
final class QueryAnswers {
    private QueryAnswers() {
    }

    /** The request's form fields (Action, Version and the operation's parameters), decoded. */
    static Map<String, String> form(Request request) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String pair : request.getBodyAsString().split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                out.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    /** {@code <OperationResponse><OperationResult>result</OperationResult><ResponseMetadata/>}. */
    static ResponseDefinition ok(String operation, String namespace, String result) {
        return new ResponseDefinitionBuilder().withStatus(200)
                .withHeader("Content-Type", "text/xml")
                .withBody("<" + operation + "Response xmlns=\"" + namespace + "\"><" + operation + "Result>" + result
                        + "</" + operation + "Result><ResponseMetadata><RequestId>" + UUID.randomUUID()
                        + "</RequestId></ResponseMetadata></" + operation + "Response>")
                .build();
    }

    static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    static String element(String name, Object value) {
        return "<" + name + ">" + escape(String.valueOf(value)) + "</" + name + ">";
    }
}
