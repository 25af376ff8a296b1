package io.moodleautopilot.converger;

import io.moodleautopilot.function.CustomResourceRequest;

/** One of the ways the function is triggered, or an event it must refuse. */
sealed interface Invocation {

    /** EventBridge "Parameter Store Change" for a parameter (the value is not in the event). */
    record ParameterChange(String name, String operation) implements Invocation {
    }

    /** EventBridge "Parameter Store Change" for the stack's Moodle settings document. */
    record SettingsChange(String name, String operation) implements Invocation {
    }

    /** EventBridge "Parameter Store Change" for the instances' upgrade record. */
    record UpgradeChange(String name, String operation) implements Invocation {
    }

    /** The safety-net schedule. */
    record Scheduled() implements Invocation {
    }

    /** A CloudFormation custom resource request: every stack create and update converges too. */
    record CustomResource(CustomResourceRequest request) implements Invocation {
    }

    /** Anything else: logged, counted, never acted on. */
    record Rejected(String reason) implements Invocation {
    }
}
