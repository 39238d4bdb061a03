package dev.pitr.retention;

import java.time.Duration;
import java.time.ZoneId;

/**
 * What to keep. Grandfather-father-son: the newest snapshot of each of the last {@code daily} days, {@code weekly} ISO
 * weeks and {@code monthly} months that have one (days, weeks and months in {@code zone}); every snapshot pinned with
 * {@code pitr snapshot pin}; and whatever restoring to any point of the last {@code minWindow} needs. Expired objects
 * stay stored for {@code grace} after the catalog stops calling them restorable.
 */
public record RetentionPolicy(int daily, int weekly, int monthly, Duration minWindow, Duration grace, ZoneId zone) {

  public static final RetentionPolicy DEFAULT =
      new RetentionPolicy(7, 4, 0, Duration.ofDays(7), Duration.ofDays(1), ZoneId.of("UTC"));

  public RetentionPolicy {
    if (daily < 0 || weekly < 0 || monthly < 0) {
      throw new IllegalArgumentException("snapshot counts cannot be negative");
    }
    if (daily + weekly + monthly == 0) {
      throw new IllegalArgumentException("keep at least one daily, weekly or monthly snapshot");
    }
    if (minWindow.isNegative() || grace.isNegative()) {
      throw new IllegalArgumentException("the window and the grace period cannot be negative");
    }
  }

  /** E.g. {@code 7 daily, 4 weekly, 0 monthly; window 7d; grace 1d}. */
  public String describe() {
    return daily + " daily, " + weekly + " weekly, " + monthly + " monthly; minimum window " + human(minWindow)
        + "; grace " + human(grace);
  }

  static String human(Duration d) {
    if (d.toDays() > 0 && d.equals(Duration.ofDays(d.toDays()))) {
      return d.toDays() + "d";
    }
    if (d.toHours() > 0 && d.equals(Duration.ofHours(d.toHours()))) {
      return d.toHours() + "h";
    }
    return d.toMinutes() + "m";
  }
}
