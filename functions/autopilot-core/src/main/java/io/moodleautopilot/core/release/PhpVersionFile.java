package io.moodleautopilot.core.release;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The assignments of a Moodle version.php, read with regular expressions: staging never runs PHP
 * (MoodleSource has none, and a release or plugin from outside must not run anything here).
 * Comments are dropped first, so a commented-out assignment is not read; what Moodle writes is one
 * literal per assignment ({@code $version = 2024100706.00;}, {@code $plugin->version = 2025010100;}).
 */
public final class PhpVersionFile {
    private static final Pattern BLOCK_COMMENT = Pattern.compile("/\\*.*?\\*/", Pattern.DOTALL);
    private static final Pattern LINE_COMMENT = Pattern.compile("(?m)(?<![:'\"])(//|#).*$");
    private static final String NUMBER = "([0-9]+(?:\\.[0-9]+)?)";
    private static final String STRING = "(?:'([^'\\\\]*)'|\"([^\"\\\\$]*)\")";

    private final String code;

    private PhpVersionFile(String text) {
        this.code = LINE_COMMENT.matcher(BLOCK_COMMENT.matcher(text).replaceAll(" ")).replaceAll("");
    }

    public static PhpVersionFile parse(String text) {
        return new PhpVersionFile(text);
    }

    /** {@code $name = <number>;} or {@code $plugin->name = <number>;} for {@code variable} "plugin->name". */
    public Optional<String> number(String variable) {
        Matcher m = assignment(variable, NUMBER).matcher(code);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    /** {@code $name = '<text>';} (a double-quoted string too, when it interpolates nothing). */
    public Optional<String> string(String variable) {
        Matcher m = assignment(variable, STRING).matcher(code);
        if (!m.find()) {
            return Optional.empty();
        }
        return Optional.of(m.group(1) != null ? m.group(1) : m.group(2));
    }

    private static Pattern assignment(String variable, String value) {
        String name = Pattern.quote(variable).replace("->", "\\E\\s*->\\s*\\Q");
        return Pattern.compile("(?m)^\\s*\\$" + name + "\\s*=\\s*" + value + "\\s*;");
    }
}
