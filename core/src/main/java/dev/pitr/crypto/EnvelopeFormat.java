package dev.pitr.crypto;

/**
 * The key envelopes pitr writes, checked field by field before any byte of one reaches the OpenPGP parser. The
 * parser sizes its work and memory by what a packet asks for (an Argon2 S2K asks for gigabytes, an iterated S2K's
 * count octet for 65 MB of hashing, an AEAD chunk size octet for a buffer), and fuzzing kept finding the next such
 * field, so nothing is refused by a list of bad shapes: an envelope is accepted only in the one shape pitr writes.
 *
 * <p>That shape (RFC 4880, new-format packet headers): one session key packet, then one encrypted data packet.
 *
 * <ul>
 *   <li>a key file or passphrase: a version 4 symmetric session key packet, AES-256 (9), an iterated and salted S2K
 *       (3) over SHA-1 (2) with 8 bytes of salt and the count octet {@value #S2K_COUNT}, and no encrypted session key
 *       (13 bytes);
 *   <li>a public key: a version 3 public-key session key packet for RSA (1 or 2; one MPI of at most {@value
 *       #MAX_RSA_BITS} bits) or Curve25519 ECDH (18; the 263-bit native point, then the wrapped session key);
 *   <li>then a version 1 encrypted data packet of {@value #ENCRYPTED_DATA_BYTES} bytes: the 18-byte random prefix, a
 *       literal data packet holding the data key as gpg's {@code 9:HEX} line, and the 22-byte modification code.
 * </ul>
 *
 * The work any accepted envelope costs is what pitr's own cost: one S2K of 65,536 hashed bytes, or one private-key
 * operation with the key the host holds, and the decryption of 115 bytes.
 */
final class EnvelopeFormat {

    /** The key material an envelope is for. */
    enum Kind {
        /** A key file's key or a passphrase's derived key (the symmetric session key packet). */
        SECRET_KEY,
        /** An OpenPGP key pair (the public-key session key packet). */
        PUBLIC_KEY
    }

    /** The iterated S2K count octet pitr writes (Bouncy Castle's default, 65,536 bytes hashed). */
    static final int S2K_COUNT = 0x60;

    /** The largest RSA key an envelope may be made for; 16,384 bits is the most gpg makes. */
    static final int MAX_RSA_BITS = 16384;

    /**
     * The encrypted data packet's body: its version octet, the 18-byte prefix, the literal data packet (a 2-byte
     * header, 6 bytes of format, name and date, and the 67 bytes of {@code 9:<64 hex digits>\n}), the 22-byte
     * modification detection code packet.
     */
    static final int ENCRYPTED_DATA_BYTES = 1 + 18 + (2 + 6 + 67) + 22;

    private static final int TAG_PUBLIC_KEY_SESSION_KEY = 1;
    private static final int TAG_SYMMETRIC_SESSION_KEY = 3;
    private static final int TAG_ENCRYPTED_DATA = 18;

    private EnvelopeFormat() {}

    /**
     * The kind of {@code b} when it has exactly the shape pitr writes.
     *
     * @throws MalformedEnvelopeException naming the first field that differs
     */
    static Kind check(byte[] b) {
        Reader r = new Reader(b);
        int tag = r.packetTag("the session key packet");
        int len = r.length("the session key packet");
        int start = r.pos;
        Kind kind;
        if (tag == TAG_SYMMETRIC_SESSION_KEY) {
            r.expect(4, "the symmetric session key packet's version");
            r.expect(9, "its cipher (pitr writes AES-256)");
            r.expect(3, "its S2K type (pitr writes an iterated and salted S2K)");
            r.expect(2, "its S2K hash (pitr writes SHA-1)");
            r.skip(8, "its S2K salt");
            r.expect(S2K_COUNT, "its S2K count octet");
            kind = Kind.SECRET_KEY;
        } else if (tag == TAG_PUBLIC_KEY_SESSION_KEY) {
            r.expect(3, "the public-key session key packet's version");
            r.skip(8, "its key id");
            int algorithm = r.octet("its public-key algorithm");
            if (algorithm == 1 || algorithm == 2) {
                int bits = r.mpiBits("its RSA value");
                if (bits < 1 || bits > MAX_RSA_BITS) {
                    throw new MalformedEnvelopeException(
                            "its RSA value has " + bits + " bits (at most " + MAX_RSA_BITS + ")");
                }
                r.skip((bits + 7) / 8, "its RSA value");
            } else if (algorithm == 18) {
                int bits = r.mpiBits("its ECDH point");
                if (bits != 263) {
                    throw new MalformedEnvelopeException(
                            "its ECDH point has " + bits + " bits (a Curve25519 point has 263)");
                }
                r.expect(0x40, "its ECDH point's prefix (a Curve25519 point)");
                r.skip(32, "its ECDH point");
                int wrapped = r.octet("its wrapped session key's length");
                if (wrapped < 16 || wrapped % 8 != 0) {
                    throw new MalformedEnvelopeException(
                            "its wrapped session key is " + wrapped + " bytes (a multiple of 8 from 16)");
                }
                r.skip(wrapped, "its wrapped session key");
            } else {
                throw new MalformedEnvelopeException("its public-key algorithm is " + algorithm
                        + " (pitr writes RSA, 1 or 2, or Curve25519 ECDH, 18)");
            }
            kind = Kind.PUBLIC_KEY;
        } else {
            throw new MalformedEnvelopeException(
                    "the first packet is of type " + tag + " (pitr writes a session key packet, type 1 or 3)");
        }
        if (r.pos - start != len) {
            throw new MalformedEnvelopeException(
                    "the session key packet is " + len + " bytes where its fields take " + (r.pos - start));
        }
        int second = r.packetTag("the encrypted data packet");
        if (second != TAG_ENCRYPTED_DATA) {
            throw new MalformedEnvelopeException("the second packet is of type " + second
                    + " (pitr writes one session key packet, then encrypted data, type 18)");
        }
        int dataLen = r.length("the encrypted data packet");
        if (dataLen != ENCRYPTED_DATA_BYTES) {
            throw new MalformedEnvelopeException(
                    "the encrypted data packet is " + dataLen + " bytes (pitr's are " + ENCRYPTED_DATA_BYTES + ")");
        }
        r.expect(1, "the encrypted data packet's version");
        r.skip(dataLen - 1, "the encrypted data");
        if (r.pos != b.length) {
            throw new MalformedEnvelopeException((b.length - r.pos) + " bytes follow the encrypted data packet");
        }
        return kind;
    }

    /** Reads fields in order, naming the field that the envelope ends before or holds wrong. */
    private static final class Reader {
        private final byte[] b;
        int pos;

        Reader(byte[] b) {
            this.b = b;
        }

        int octet(String field) {
            if (pos >= b.length) {
                throw new MalformedEnvelopeException("the envelope ends before " + field);
            }
            return b[pos++] & 0xff;
        }

        void expect(int value, String field) {
            int got = octet(field);
            if (got != value) {
                throw new MalformedEnvelopeException(field + " is " + got + " (pitr writes " + value + ")");
            }
        }

        void skip(int n, String field) {
            if (n > b.length - pos) {
                throw new MalformedEnvelopeException("the envelope ends inside " + field);
            }
            pos += n;
        }

        /** A new-format packet header's tag; pitr writes no old-format header. */
        int packetTag(String packet) {
            int h = octet(packet + "'s header");
            if ((h & 0xC0) != 0xC0) {
                throw new MalformedEnvelopeException(
                        packet + "'s header is " + h + " (pitr writes new-format headers)");
            }
            return h & 0x3F;
        }

        /** A one- or two-octet body length, all an envelope's packets need; partial and five-octet lengths are refused. */
        int length(String packet) {
            int o1 = octet(packet + "'s length");
            if (o1 < 192) {
                return o1;
            }
            if (o1 < 224) {
                return ((o1 - 192) << 8) + octet(packet + "'s length") + 192;
            }
            throw new MalformedEnvelopeException(
                    packet + "'s length octet is " + o1 + " (pitr writes one- or two-octet lengths)");
        }

        int mpiBits(String field) {
            return (octet(field + "'s bit count") << 8) | octet(field + "'s bit count");
        }
    }
}
