package dev.pitr.cli;

/** Placeholder replaced below. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {}
}
