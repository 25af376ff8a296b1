package io.moodleautopilot.reactor.aws;

import io.moodleautopilot.core.alarm.AlarmState;
import io.moodleautopilot.core.alarm.AlarmTransition;
import io.moodleautopilot.core.alarm.ReactorPorts;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;

/**
 * The alarm ledger in DynamoDB: one item per alarm (key {@code alarmName}) holding the last
 * transition's state timestamp, whether it notified and when, and how many transitions were
 * folded. Items expire 30 days after their last transition (TTL attribute {@code expiresAt}).
 */
public final class DynamoAlarmLedger implements ReactorPorts.Ledger {
    static final Duration RETENTION = Duration.ofDays(30);
    private final Supplier<DynamoDbClient> dynamo;
    private final String table;

    public DynamoAlarmLedger(Supplier<DynamoDbClient> dynamo, String table) {
        this.dynamo = dynamo;
        this.table = table;
    }

    private static AttributeValue n(long v) {
        return AttributeValue.fromN(Long.toString(v));
    }

    private static Map<String, AttributeValue> key(String alarm) {
        return Map.of("alarmName", AttributeValue.fromS(alarm));
    }

    @Override
    public ReactorPorts.Claim claim(AlarmTransition t, boolean notify, Instant now, Instant windowStart) {
        Map<String, AttributeValue> values = new HashMap<>();
        values.put(":ts", n(t.stateTimestamp().toEpochMilli()));
        values.put(":st", AttributeValue.fromS(t.state().name()));
        values.put(":n", AttributeValue.fromBool(notify));
        values.put(":exp", n(t.stateTimestamp().plus(RETENTION).getEpochSecond()));
        values.put(":zero", n(0));
        String update = "SET stateTimestamp = :ts, alarmState = :st, notified = :n, expiresAt = :exp, folded = :zero";
        String condition = "(attribute_not_exists(stateTimestamp) OR stateTimestamp < :ts)";
        if (notify) {
            values.put(":now", n(now.toEpochMilli()));
            values.put(":window", n(windowStart.toEpochMilli()));
            update += ", notifiedAt = :now";
            condition += " AND (attribute_not_exists(notifiedAt) OR notifiedAt < :window)";
        }
        String u = update;
        String c = condition;
        try {
            Map<String, AttributeValue> old = dynamo.get().updateItem(r -> r.tableName(table).key(key(t.alarmName()))
                    .updateExpression(u).conditionExpression(c).expressionAttributeValues(values)
                    .returnValues(ReturnValue.ALL_OLD)).attributes();
            return new ReactorPorts.Claim.Claimed(record(old));
        } catch (ConditionalCheckFailedException e) {
            ReactorPorts.LedgerRecord old = record(e.item());
            if (old == null || !old.stateTimestamp().isBefore(t.stateTimestamp())) {
                return new ReactorPorts.Claim.Duplicate();
            }
            return new ReactorPorts.Claim.RateLimited(old);
        }
    }

    @Override
    public void fold(AlarmTransition t) {
        try {
            dynamo.get().updateItem(r -> r.tableName(table).key(key(t.alarmName()))
                    .updateExpression("SET stateTimestamp = :ts, alarmState = :st, notified = :f, expiresAt = :exp ADD folded :one")
                    .conditionExpression("stateTimestamp < :ts")
                    .expressionAttributeValues(Map.of(":ts", n(t.stateTimestamp().toEpochMilli()),
                            ":st", AttributeValue.fromS(t.state().name()), ":f", AttributeValue.fromBool(false),
                            ":exp", n(t.stateTimestamp().plus(RETENTION).getEpochSecond()), ":one", n(1))));
        } catch (ConditionalCheckFailedException e) {
            // A newer transition got there first: this one is history already.
        }
    }

    @Override
    public void markNotified(String alarmName, Instant now) {
        dynamo.get().updateItem(r -> r.tableName(table).key(key(alarmName))
                .updateExpression("SET notified = :t, notifiedAt = :now")
                .expressionAttributeValues(Map.of(":t", AttributeValue.fromBool(true), ":now", n(now.toEpochMilli()))));
    }

    @Override
    public void release(AlarmTransition t, ReactorPorts.LedgerRecord previous) {
        try {
            if (previous == null) {
                dynamo.get().deleteItem(r -> r.tableName(table).key(key(t.alarmName()))
                        .conditionExpression("stateTimestamp = :ts")
                        .expressionAttributeValues(Map.of(":ts", n(t.stateTimestamp().toEpochMilli()))));
                return;
            }
            Map<String, AttributeValue> item = new HashMap<>(key(t.alarmName()));
            item.put("stateTimestamp", n(previous.stateTimestamp().toEpochMilli()));
            item.put("alarmState", AttributeValue.fromS(previous.state().name()));
            item.put("notified", AttributeValue.fromBool(previous.notified()));
            if (previous.notifiedAt() != null) {
                item.put("notifiedAt", n(previous.notifiedAt().toEpochMilli()));
            }
            item.put("folded", n(previous.folded()));
            item.put("expiresAt", n(previous.stateTimestamp().plus(RETENTION).getEpochSecond()));
            dynamo.get().putItem(r -> r.tableName(table).item(item).conditionExpression("stateTimestamp = :ts")
                    .expressionAttributeValues(Map.of(":ts", n(t.stateTimestamp().toEpochMilli()))));
        } catch (ConditionalCheckFailedException e) {
            // A newer transition was recorded meanwhile: leave it.
        }
    }

    static ReactorPorts.LedgerRecord record(Map<String, AttributeValue> item) {
        if (item == null || !item.containsKey("stateTimestamp")) {
            return null;
        }
        AttributeValue notifiedAt = item.get("notifiedAt");
        AttributeValue folded = item.get("folded");
        AttributeValue notified = item.get("notified");
        return new ReactorPorts.LedgerRecord(
                Instant.ofEpochMilli(Long.parseLong(item.get("stateTimestamp").n())),
                AlarmState.valueOf(item.get("alarmState").s()),
                notified != null && Boolean.TRUE.equals(notified.bool()),
                notifiedAt == null ? null : Instant.ofEpochMilli(Long.parseLong(notifiedAt.n())),
                folded == null ? 0 : Long.parseLong(folded.n()));
    }
}
