package io.moodleautopilot.core.lifecycle;

import java.util.Map;

/** Reading settings from a function's environment, with one wording for what is missing or malformed. */
public final class Env {
    private Env() {
    }

    public static String required(Map<String, String> env, String name) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            throw new ConfigurationException("environment variable " + name + " is not set");
        }
        return value.trim();
    }

    public static int integer(Map<String, String> env, String name) {
        return parseInt(name, required(env, name));
    }

    public static int parseInt(String name, String value) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new ConfigurationException(name + " must be a whole number, got '" + value + "'");
        }
    }

    /** WebAsgMaxCeiling: empty or 0 means "equal to the maximum", i.e. raising is off. */
    public static int ceiling(Map<String, String> env, int max) {
        String ceiling = env.getOrDefault("WEB_ASG_MAX_CEILING", "").trim();
        return ceiling.isEmpty() || ceiling.equals("0") ? max : parseInt("WEB_ASG_MAX_CEILING", ceiling);
    }
}
