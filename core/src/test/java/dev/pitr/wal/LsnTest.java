package dev.pitr.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import org.junit.jupiter.api.Test;

class LsnTest {

    @Test
    void parsesAndFormatsLikePostgres() {
        Lsn l = Lsn.parse("16/B374D848");
        assertEquals(0x16B374D848L, l.value());
        assertEquals("16/B374D848", l.toString());
        assertEquals("0/0", Lsn.ZERO.toString());
        assertEquals("FFFFFFFF/FFFFFFFF", new Lsn(-1L).toString());
        assertEquals(new Lsn(-1L), Lsn.parse("FFFFFFFF/FFFFFFFF"));
    }

    @Test
    void arithmeticAndOrderAreUnsigned() {
        Lsn a = Lsn.parse("0/3000028");
        assertEquals(Lsn.parse("1/0"), Lsn.parse("0/FFFFFFFF").plus(1));
        assertEquals(0x28, a.minus(Lsn.parse("0/3000000")));
        assertTrue(new Lsn(-1L).isAfter(a));
        assertTrue(a.isBefore(new Lsn(-1L)));
    }

    @Test
    void rejectsMalformedTextAsBadTarget() {
        for (String bad : new String[] {"", "3000028", "0/", "/1", "G/1", "0/1/2", "123456789/0", null}) {
            PitrException e = assertThrows(PitrException.class, () -> Lsn.parse(bad), "accepted " + bad);
            assertEquals(ErrorCode.BAD_TARGET, e.code());
        }
    }
}
