package dev.pitr.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class Sha256Test {

    /** A check compares the digest and an error message quotes it: both must see the object's, not an empty one's. */
    @Test
    void theDigestReadTwiceIsTheSame() {
        Checksum s = Checksum.sha256();
        byte[] b = "pitr".getBytes(StandardCharsets.US_ASCII);
        s.update(b, 0, b.length);
        String first = s.value();
        assertEquals("7c5e665351f2507a6863425e8902a70f862a54f14c8f2e6645b955ea7bfc1469", first);
        assertEquals(first, s.value());
        assertEquals(Sha256.of(b), first);
    }
}
