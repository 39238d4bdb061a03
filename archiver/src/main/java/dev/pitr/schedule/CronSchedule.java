package dev.pitr.schedule;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Optional;

/** When a scheduled job is due: a five-field cron expression ({@code 0 *}{@code /6 * * *}) read in a zone. */
public final class CronSchedule {

    private static final CronParser PARSER = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

    private final String expression;
    private final ExecutionTime times;
    private final ZoneId zone;

    private CronSchedule(String expression, ExecutionTime times, ZoneId zone) {
        this.expression = expression;
        this.times = times;
        this.zone = zone;
    }

    public static CronSchedule parse(String expression, ZoneId zone) {
        try {
            return new CronSchedule(
                    expression, ExecutionTime.forCron(PARSER.parse(expression).validate()), zone);
        } catch (IllegalArgumentException e) {
            throw new PitrException(
                    ErrorCode.CONFIG_INVALID,
                    "the schedule '" + expression + "' is not a cron" + " expression: " + e.getMessage(),
                    "use five fields: minute hour day-of-month month day-of-week, e.g. '0 */6 * * *'");
        }
    }

    /** The latest due time at or before {@code now}. */
    public Optional<Instant> lastDue(Instant now) {
        ZonedDateTime t = now.atZone(zone);
        if (times.isMatch(t.withSecond(0).withNano(0))) {
            return Optional.of(t.withSecond(0).withNano(0).toInstant());
        }
        return times.lastExecution(t).map(ZonedDateTime::toInstant);
    }

    /** The first due time after {@code now}. */
    public Optional<Instant> next(Instant now) {
        return times.nextExecution(now.atZone(zone)).map(ZonedDateTime::toInstant);
    }

    @Override
    public String toString() {
        return expression + " (" + zone + ")";
    }
}
