package dev.pitr.config;

import dev.pitr.catalog.Catalog;
import dev.pitr.catalog.SqliteCatalog;
import dev.pitr.codec.Zstd;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.storage.LocalStorage;
import dev.pitr.storage.Storage;

/** The storage, catalog and codec the configuration names, opened together and closed together. */
public final class Repository implements AutoCloseable {

  private final Storage storage;
  private final Catalog catalog;
  private final Zstd zstd;

  public Repository(Storage storage, Catalog catalog, Zstd zstd) {
    this.storage = storage;
    this.catalog = catalog;
    this.zstd = zstd;
  }

  /** Opens the repository; {@code readOnly} is for the restore_command, which only reads. */
  public static Repository open(Config config, boolean readOnly) {
    String type = config.require(Key.STORAGE_TYPE);
    if (!type.equals("local")) {
      throw new PitrException(
          ErrorCode.CONFIG_INVALID, "storage.type '" + type + "' is not supported", "set storage.type to 'local'");
    }
    String catalogType = config.require(Key.CATALOG_TYPE);
    if (!catalogType.equals("sqlite")) {
      throw new PitrException(
          ErrorCode.CONFIG_INVALID,
          "catalog.type '" + catalogType + "' is not supported",
          "set catalog.type to 'sqlite'");
    }
    int level = config.requireInt(Key.COMPRESSION_LEVEL);
    if (level < 1 || level > 19) {
      throw new PitrException(
          ErrorCode.CONFIG_INVALID, "compression.level must be 1..19, got " + level, "use 1 (fast) to 19 (small); 3 is the default");
    }
    Storage storage = new LocalStorage(config.requirePath(Key.STORAGE_PATH));
    Catalog catalog =
        readOnly ? SqliteCatalog.openReadOnly(config.catalogPath()) : SqliteCatalog.open(config.catalogPath());
    return new Repository(storage, catalog, new Zstd(level));
  }

  public Storage storage() {
    return storage;
  }

  public Catalog catalog() {
    return catalog;
  }

  public Zstd zstd() {
    return zstd;
  }

  @Override
  public void close() {
    catalog.close();
  }
}
