package io.moodleautopilot.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * docs/architecture.md describes the template as it is: the parameter table (between the
 * parameters:start/end markers) follows the template's parameter groups, defaults and allowed
 * values, and the Outputs section names every output.
 */
class TemplateDocsTest {
    private static final String START = "<!-- parameters:start -->";
    private static final String END = "<!-- parameters:end -->";
    private static final String HEADER = "| Parameter | Default | Allowed | What it does |";

    private final CfnTemplate template = CfnTemplate.load();
    private final String doc = read();

    private static String read() {
        try {
            return Files.readString(CfnTemplate.repositoryRoot().resolve("docs/architecture.md"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One row of the table: the first three cells as written, and the rest. */
    record Row(String name, String defaultValue, String allowed, String what) {
        String render() {
            return "| `" + name + "` | " + defaultValue + " | " + allowed + " | " + what + " |";
        }

        String checkedPart() {
            return "`" + name + "` | " + defaultValue + " | " + allowed;
        }
    }

    private List<String> tableLines() {
        int s = doc.indexOf(START);
        int e = doc.indexOf(END);
        assertThat(s).as("docs/architecture.md has %s", START).isGreaterThanOrEqualTo(0);
        assertThat(e).as("docs/architecture.md has %s after %s", END, START).isGreaterThan(s);
        return doc.substring(s + START.length(), e).lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    private List<Row> documentedRows() {
        List<String> lines = tableLines();
        assertThat(lines).as("parameter table").hasSizeGreaterThan(2);
        assertThat(lines.get(0)).as("table header").isEqualTo(HEADER);
        assertThat(lines.get(1)).as("table separator").matches("\\|(\\s*:?-+:?\\s*\\|){4}");
        List<Row> rows = new ArrayList<>();
        for (String line : lines.subList(2, lines.size())) {
            assertThat(line).as("table row").startsWith("|").endsWith("|");
            String[] cells = line.substring(1, line.length() - 1).split("\\|", 4);
            assertThat(cells).as("cells of %s", line).hasSize(4);
            String name = cells[0].strip();
            assertThat(name).as("parameter cell of %s", line).matches("`[A-Za-z0-9]+`");
            rows.add(new Row(name.substring(1, name.length() - 1), cells[1].strip(), cells[2].strip(), cells[3].strip()));
        }
        return rows;
    }

    private List<String> groupOrder() {
        List<String> order = new ArrayList<>();
        for (Object g : CfnTemplate.list(CfnTemplate.map(template.section("Metadata")
                .get("AWS::CloudFormation::Interface")).get("ParameterGroups"))) {
            CfnTemplate.list(CfnTemplate.map(g).get("Parameters")).forEach(p -> order.add(String.valueOf(p)));
        }
        return order;
    }

    /** The rows the table should have; "What it does" is kept from the document where it has the row. */
    private List<Row> expectedRows(Map<String, Row> documented) {
        List<Row> out = new ArrayList<>();
        for (String name : groupOrder()) {
            Map<String, Object> p = CfnTemplate.map(template.section("Parameters").get(name));
            Object d = p.get("Default");
            String defaultValue = d == null ? "(none)" : String.valueOf(d).isEmpty() ? "(empty)" : "`" + d + "`";
            String allowed;
            if (p.containsKey("AllowedValues")) {
                allowed = CfnTemplate.list(p.get("AllowedValues")).stream().map(String::valueOf).collect(Collectors.joining(", "));
            } else if (p.containsKey("MinValue") || p.containsKey("MaxValue")) {
                allowed = (p.containsKey("MinValue") ? String.valueOf(p.get("MinValue")) : "") + "–"
                        + (p.containsKey("MaxValue") ? String.valueOf(p.get("MaxValue")) : "");
            } else {
                allowed = "";
            }
            Row doc = documented.get(name);
            String what = doc != null && !doc.what().isEmpty() ? doc.what()
                    : String.valueOf(p.getOrDefault("Description", "")).replace("|", "\\|");
            out.add(new Row(name, defaultValue, allowed, what));
        }
        return out;
    }

    private String pasteable(List<Row> rows) {
        return "\nExpected table (paste between the markers in docs/architecture.md):\n" + HEADER + "\n|---|---|---|---|\n"
                + rows.stream().map(Row::render).collect(Collectors.joining("\n")) + "\n";
    }

    @Test
    void parameterTableFollowsTheTemplatesParameterGroups() {
        List<Row> rows = documentedRows();
        Map<String, Row> byName = new LinkedHashMap<>();
        rows.forEach(r -> byName.putIfAbsent(r.name(), r));
        List<Row> expected = expectedRows(byName);
        assertThat(rows.stream().map(Row::name).toList())
                .as("parameters of the table, in the order of the template's parameter groups" + pasteable(expected))
                .containsExactlyElementsOf(groupOrder());
        assertThat(template.section("Parameters").keySet())
                .as("template parameters in the table" + pasteable(expected))
                .containsExactlyInAnyOrderElementsOf(groupOrder());
    }

    @Test
    void parameterTableShowsEachDefaultAndItsAllowedValues() {
        List<Row> rows = documentedRows();
        Map<String, Row> byName = new LinkedHashMap<>();
        rows.forEach(r -> byName.putIfAbsent(r.name(), r));
        List<Row> expected = expectedRows(byName);
        Map<String, Row> expectedByName = new LinkedHashMap<>();
        expected.forEach(r -> expectedByName.put(r.name(), r));
        List<String> wrong = new ArrayList<>();
        for (Row r : rows) {
            Row want = expectedByName.get(r.name());
            if (want != null && !want.checkedPart().equals(r.checkedPart())) {
                wrong.add("has:  " + r.checkedPart() + "\n  want: " + want.checkedPart());
            }
        }
        assertThat(wrong).as("Default and Allowed cells that differ from template.yaml" + pasteable(expected)).isEmpty();
    }

    @Test
    void outputsSectionNamesEveryOutput() {
        int s = doc.indexOf("\n### Outputs");
        assertThat(s).as("docs/architecture.md has a '### Outputs' section").isGreaterThanOrEqualTo(0);
        String rest = doc.substring(s + 1);
        var next = Pattern.compile("(?m)^#{1,3} ").matcher(rest);
        String section = next.find(1) ? rest.substring(0, next.start()) : rest;
        List<String> missing = template.section("Outputs").keySet().stream()
                .filter(k -> !section.contains("`" + k + "`"))
                .toList();
        assertThat(template.section("Outputs")).as("template outputs").isNotEmpty();
        assertThat(missing).as("outputs not named (as `Name`) in docs/architecture.md ### Outputs").isEmpty();
    }
}
