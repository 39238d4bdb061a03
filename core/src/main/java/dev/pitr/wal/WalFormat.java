package dev.pitr.wal;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The WAL of one PostgreSQL major version, as far as pitr reads it. Page headers, record headers, block references,
 * commit, abort and restore-point records are laid out alike from 13 to 18; what differs is named here: the page magic
 * that says which version wrote a page, how a block image says it is compressed (one flag until 14, one bit per method
 * from 15), and the dropped-statistics items a transaction record carries (none before 15, 64-bit object ids from 18).
 * Each value is what the real server of that version writes, as {@code WalFormatIT} proves per version.
 */
public enum WalFormat {
    PG13(13, 0xD106),
    PG14(14, 0xD10D),
    PG15(15, 0xD110),
    PG16(16, 0xD113),
    PG17(17, 0xD116),
    PG18(18, 0xD118);

    private final int major;
    private final int magic;

    WalFormat(int major, int magic) {
        this.major = major;
        this.magic = magic;
    }

    /** The major version, e.g. 17. */
    public int major() {
        return major;
    }

    /** {@code XLOG_PAGE_MAGIC}: the first two bytes of every page this version writes. */
    public int magic() {
        return magic;
    }

    /** The {@code bimg_info} bits that say a block image is compressed (and so carries its hole's length). */
    int compressedImageBits() {
        return major <= 14 ? 0x02 : 0x04 | 0x08 | 0x10;
    }

    /** The size of one {@code xl_xact_stats_item}; 0 where transaction records carry none. */
    int droppedStatsItemSize() {
        if (major < 15) {
            return 0;
        }
        return major < 18 ? 12 : 16;
    }

    /** The format whose pages start with {@code magic}. */
    public static Optional<WalFormat> ofMagic(int magic) {
        return Arrays.stream(values()).filter(f -> f.magic == magic).findFirst();
    }

    /** The format of major version {@code major} (e.g. 17, from {@code server_version_num / 10000}). */
    public static Optional<WalFormat> ofMajor(int major) {
        return Arrays.stream(values()).filter(f -> f.major == major).findFirst();
    }

    /** Every major version pitr reads, oldest first. */
    public static List<Integer> supportedMajors() {
        return Arrays.stream(values()).map(WalFormat::major).toList();
    }

    /** "13 to 18", for messages and hints. */
    public static String supportedRange() {
        List<Integer> all = supportedMajors();
        return all.get(0) + " to " + all.get(all.size() - 1);
    }
}
