package dev.pitr.restore;

import dev.pitr.catalog.SegmentRecord;
import dev.pitr.error.PitrException;
import dev.pitr.wal.WalFetcher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Fetches the segments a restore will replay into a local spool ahead of PostgreSQL, so that restore_command is a
 * rename instead of a process start and a storage round trip per segment. Each file is verified and renamed into the
 * spool whole; anything it has not fetched (or failed to) is fetched directly by restore_command.
 */
final class Prefetcher implements Runnable {

  private final WalFetcher fetcher;
  private final List<SegmentRecord> plan;
  private final Path spool;
  private final int lookahead;
  private volatile boolean stopped;

  Prefetcher(WalFetcher fetcher, List<SegmentRecord> plan, Path spool, int lookahead) {
    this.fetcher = fetcher;
    this.plan = plan;
    this.spool = spool;
    this.lookahead = lookahead;
  }

  void stop() {
    stopped = true;
  }

  @Override
  public void run() {
    for (SegmentRecord s : plan) {
      while (!stopped && waiting() >= lookahead) {
        sleep();
      }
      if (stopped) {
        return;
      }
      try {
        fetcher.fetch(s.name().fileName(), spool.resolve(s.name().fileName()));
      } catch (PitrException e) {
        // restore_command falls back to a direct fetch, which reports the failure to PostgreSQL itself
        return;
      }
    }
  }

  private long waiting() {
    try (Stream<Path> s = Files.list(spool)) {
      return s.filter(p -> !p.getFileName().toString().startsWith(".")).count();
    } catch (IOException e) {
      return Long.MAX_VALUE;
    }
  }

  private static void sleep() {
    try {
      Thread.sleep(20);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
