package dev.pitr.infra;

import dev.pitr.restore.workflow.RestoreDefinition;
import dev.pitr.retention.RetentionPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import software.constructs.Node;

/**
 * The deploy-time choices, read from CDK context ({@code cdk deploy -c pitr:objectLockDays=30}, or {@code
 * cdk.json}). Everything has a default except the Lambda jar, which must have been built.
 *
 * @param lambdaJar the functions module's Lambda jar ({@code pitr:lambdaJar}, else the {@code pitr.lambda.jar}
 *     system property the build sets)
 * @param storagePrefix the archive's key prefix in the bucket, as {@code storage.prefix} ({@code pitr:storagePrefix}),
 *     ending in a slash as pitr reads it ({@code prod} is {@code prod/})
 * @param noncurrentDays how long an expired or replaced object stays as a noncurrent version ({@code
 *     pitr:noncurrentDays}, default 7): the last chance to get it back
 * @param snapshotColdDays age at which snapshot objects move to Standard-IA ({@code pitr:snapshotColdDays}, default 30,
 *     the class's minimum)
 * @param objectLockDays default Object Lock retention for new objects, 0 for none ({@code pitr:objectLockDays})
 * @param objectLockCompliance compliance mode instead of governance ({@code pitr:objectLockMode=compliance})
 * @param retentionSchedule when retention runs, as an EventBridge cron expression without {@code cron()} ({@code
 *     pitr:retentionSchedule}, default daily at 03:17 UTC)
 * @param retention the retention function's policy settings in their environment form ({@code PITR_RETENTION_DAILY}
 *     ...), from the context keys {@code pitr:retention.daily}, {@code pitr:retention.weekly}, {@code
 *     pitr:retention.monthly}, {@code pitr:retention.min_window}, {@code pitr:retention.grace} and {@code
 *     pitr:timezone}; unset keys take the defaults of {@code pitr retention apply}
 * @param lambdaRuntime the functions' Lambda runtime ({@code pitr:lambdaRuntime}, default {@code java25}, the newest);
 *     the code is built for Java 17 and runs unchanged on any of {@link #RUNTIMES}. LocalStack 3.8 knows java21 at
 *     most, so the LocalStack deployment synthesizes with {@code java21}
 * @param agentPickupSeconds how long a restore waits for an agent to take it and prepare its target before it fails
 *     and is recorded failed ({@code pitr:agentPickupSeconds}, default 900)
 * @param drillSchedule when the restore state machine runs a restore drill on the agent's host, as an EventBridge cron
 *     expression without {@code cron()} ({@code pitr:drillSchedule}, for example {@code 0 4 ? * SUN *}); null, the
 *     default, for none
 */
public record StackSettings(
        Path lambdaJar,
        String storagePrefix,
        int noncurrentDays,
        int snapshotColdDays,
        int objectLockDays,
        boolean objectLockCompliance,
        String retentionSchedule,
        Map<String, String> retention,
        String lambdaRuntime,
        int agentPickupSeconds,
        String drillSchedule) {

    /** The Lambda runtimes the functions run on. */
    public static final java.util.List<String> RUNTIMES = java.util.List.of("java17", "java21", "java25");

    public StackSettings {
        // as storage.prefix is read: a prefix names a directory, with or without its slash
        storagePrefix = storagePrefix == null || storagePrefix.isEmpty()
                ? ""
                : storagePrefix.endsWith("/") ? storagePrefix : storagePrefix + "/";
        if (!RUNTIMES.contains(lambdaRuntime)) {
            throw new IllegalArgumentException("pitr:lambdaRuntime is '" + lambdaRuntime + "'; use one of " + RUNTIMES);
        }
        if (!Files.isRegularFile(lambdaJar)) {
            throw new IllegalArgumentException("the Lambda jar " + lambdaJar + " does not exist; build it first with"
                    + " 'mvn -B -pl functions -am package -DskipTests', or set -c pitr:lambdaJar=PATH");
        }
        if (drillSchedule != null && drillSchedule.strip().split("\\s+").length != 6) {
            throw new IllegalArgumentException("pitr:drillSchedule is '" + drillSchedule + "'; give an EventBridge cron"
                    + " expression of six fields without cron(), such as '0 4 ? * SUN *'");
        }
        if (agentPickupSeconds < 1) {
            throw new IllegalArgumentException("pitr:agentPickupSeconds must be at least 1");
        }
        if (noncurrentDays < 1 || snapshotColdDays < 30 || objectLockDays < 0) {
            throw new IllegalArgumentException(
                    "pitr:noncurrentDays must be at least 1, pitr:snapshotColdDays at least 30"
                            + " (Standard-IA's minimum) and pitr:objectLockDays 0 or more");
        }
    }

    /** Reads the settings from the app's context. */
    public static StackSettings from(Node node) {
        String jar = text(node, "pitr:lambdaJar", System.getProperty("pitr.lambda.jar", ""));
        String mode = text(node, "pitr:objectLockMode", "governance");
        if (!mode.equals("governance") && !mode.equals("compliance")) {
            throw new IllegalArgumentException("pitr:objectLockMode is '" + mode + "'; use governance or compliance");
        }
        return new StackSettings(
                Path.of(jar),
                text(node, "pitr:storagePrefix", ""),
                number(node, "pitr:noncurrentDays", 7),
                number(node, "pitr:snapshotColdDays", 30),
                number(node, "pitr:objectLockDays", 0),
                mode.equals("compliance"),
                text(node, "pitr:retentionSchedule", "17 3 * * ? *"),
                retention(node),
                text(node, "pitr:lambdaRuntime", "java25"),
                number(node, "pitr:agentPickupSeconds", RestoreDefinition.DEFAULT_PICKUP_SECONDS),
                text(node, "pitr:drillSchedule", null));
    }

    /** The retention keys given in the context, checked now so a bad value fails the synth, not the first run. */
    private static Map<String, String> retention(Node node) {
        Map<String, String> env = new TreeMap<>();
        for (String key : RetentionPolicy.KEYS) {
            Object v = node.tryGetContext("pitr:" + key);
            if (v != null) {
                env.put("PITR_" + key.toUpperCase(Locale.ROOT).replace('.', '_'), v.toString());
            }
        }
        RetentionPolicy.from(
                path -> env.get("PITR_" + path.toUpperCase(Locale.ROOT).replace('.', '_')), "the CDK context");
        return env;
    }

    private static String text(Node node, String key, String fallback) {
        Object v = node.tryGetContext(key);
        return v == null ? fallback : v.toString();
    }

    private static int number(Node node, String key, int fallback) {
        Object v = node.tryGetContext(key);
        if (v == null) {
            return fallback;
        }
        try {
            return v instanceof Number n ? n.intValue() : Integer.parseInt(v.toString());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " is '" + v + "', not a whole number", e);
        }
    }
}
