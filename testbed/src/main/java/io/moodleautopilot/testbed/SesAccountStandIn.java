package io.moodleautopilot.testbed;

import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Covers a moto 5.2.1 gap: SESv2 GetAccount answers HTTP 404. This stand-in answers it in the SESv2
 * REST-JSON protocol ({@code GET /v2/email/account}): sending enabled, in the sandbox unless a test
 * gives the account production access.
 */
public final class SesAccountStandIn implements StandIn {
    private final AtomicBoolean production = new AtomicBoolean(false);

    public SesAccountStandIn productionAccess(boolean enabled) {
        production.set(enabled);
        return this;
    }

    public void reset() {
        production.set(false);
    }

    @Override
    public boolean handles(String operation, Request request) {
        return StandIn.isGet(request, "/v2/email/account");
    }

    @Override
    public ResponseDefinition answer(String operation, Request request) {
        String body = "{\"DedicatedIpAutoWarmupEnabled\":false,\"EnforcementStatus\":\"HEALTHY\","
                + "\"ProductionAccessEnabled\":" + production.get() + ",\"SendingEnabled\":true,"
                + "\"SendQuota\":{\"Max24HourSend\":" + (production.get() ? 50000.0 : 200.0)
                + ",\"MaxSendRate\":" + (production.get() ? 14.0 : 1.0) + ",\"SentLast24Hours\":0.0}}";
        return StandIn.restJson(200, body);
    }
}
