package io.moodleautopilot.testbed;

import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Covers a moto 5.2.1 gap: Lambda GetAccountSettings answers HTTP 404. This stand-in answers it in
 * Lambda's REST-JSON protocol ({@code GET /2016-08-19/account-settings}) with the concurrency limit a
 * test gives the account (1,000 unless told; new accounts often have 10).
 */
public final class LambdaAccountStandIn implements StandIn {
    private final AtomicInteger limit = new AtomicInteger(1000);
    private final AtomicInteger unreserved = new AtomicInteger(1000);

    /** The account's concurrency limit, and what is left unreserved by the functions it already has. */
    public LambdaAccountStandIn concurrency(int accountLimit, int unreservedNow) {
        limit.set(accountLimit);
        unreserved.set(unreservedNow);
        return this;
    }

    public void reset() {
        concurrency(1000, 1000);
    }

    @Override
    public boolean handles(String operation, Request request) {
        return StandIn.isGet(request, "/2016-08-19/account-settings");
    }

    @Override
    public ResponseDefinition answer(String operation, Request request) {
        String body = "{\"AccountLimit\":{\"TotalCodeSize\":80530636800,\"CodeSizeUnzipped\":262144000,"
                + "\"CodeSizeZipped\":52428800,\"ConcurrentExecutions\":" + limit.get()
                + ",\"UnreservedConcurrentExecutions\":" + unreserved.get() + "},"
                + "\"AccountUsage\":{\"TotalCodeSize\":0,\"FunctionCount\":0}}";
        return StandIn.restJson(200, body);
    }
}
