package dev.pitr.crypto;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Date;
import org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags;
import org.bouncycastle.openpgp.PGPEncryptedData;
import org.bouncycastle.openpgp.PGPEncryptedDataGenerator;
import org.bouncycastle.openpgp.PGPEncryptedDataList;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPLiteralDataGenerator;
import org.bouncycastle.openpgp.jcajce.JcaPGPObjectFactory;
import org.bouncycastle.openpgp.operator.PGPKeyEncryptionMethodGenerator;
import org.bouncycastle.openpgp.operator.jcajce.JcePGPDataEncryptorBuilder;

/**
 * Envelopes as OpenPGP messages whose content is the data key in gpg's session-key form ({@code 9:HEX}), so that
 * {@code gpg --decrypt} opens an envelope with the passphrase or private key and its output feeds {@code
 * --override-session-key}.
 */
final class OpenPgpEnvelopes {

  private OpenPgpEnvelopes() {}

  static byte[] seal(DataKey key, PGPKeyEncryptionMethodGenerator method) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      PGPEncryptedDataGenerator gen =
          new PGPEncryptedDataGenerator(
              new JcePGPDataEncryptorBuilder(SymmetricKeyAlgorithmTags.AES_256)
                  .setWithIntegrityPacket(true)
                  .setSecureRandom(new SecureRandom()));
      gen.addMethod(method);
      byte[] content = (key.sessionKey() + "\n").getBytes(StandardCharsets.US_ASCII);
      try (OutputStream enc = gen.open(out, new byte[4096]);
          OutputStream lit =
              new PGPLiteralDataGenerator().open(enc, PGPLiteralData.BINARY, "", content.length, new Date(0))) {
        lit.write(content);
      }
      return out.toByteArray();
    } catch (IOException | PGPException e) {
      throw new IllegalStateException("cannot seal a data key: " + e.getMessage(), e);
    }
  }

  /** The encrypted-data list of an envelope, for a wrapper to pick its own key packet from. */
  static PGPEncryptedDataList parse(byte[] envelope) {
    // only session key packets followed by the encrypted data reach the OpenPGP parser, which sizes some other
    // packets' allocations by their fields (found by fuzzing: key packets of a few bytes claiming megabytes)
    String shape = envelopeShape(envelope);
    if (shape != null) {
      throw new WrongKeyException("not a key envelope: " + shape);
    }
    try {
      Object o = new JcaPGPObjectFactory(new ByteArrayInputStream(envelope)).nextObject();
      if (o instanceof PGPEncryptedDataList list) {
        return list;
      }
    } catch (IOException | RuntimeException e) {
      throw new WrongKeyException("not a key envelope: " + e.getMessage());
    }
    throw new WrongKeyException("not a key envelope");
  }

  /**
   * Null when {@code b} is one or more whole session key packets (public-key, 1, or symmetric, 3) followed by an
   * encrypted data packet (18, or 9); otherwise what is wrong. Only packet headers are read (RFC 4880 4.2, both
   * formats); the encrypted data's own length is left to the parser, which streams it.
   */
  static String envelopeShape(byte[] b) {
    int pos = 0;
    int sessionKeys = 0;
    while (pos < b.length) {
      int h = b[pos] & 0xff;
      boolean newFormat = (h & 0xC0) == 0xC0;
      if ((h & 0x80) == 0) {
        return "no packet header at byte " + pos;
      }
      int tag = newFormat ? h & 0x3F : (h >> 2) & 0x0F;
      if (tag == 18) {
        if (sessionKeys == 0) {
          return "no session key packet before the encrypted data";
        }
        return seipdVersionOne(b, pos) ? null : "encrypted data other than version 1 (AES with a modification code)";
      }
      if (tag != 1 && tag != 3) {
        return "packet type " + tag + " at byte " + pos;
      }
      long len;
      int p = pos + 1;
      if (newFormat) {
        if (p >= b.length) {
          return "cut short";
        }
        int o1 = b[p] & 0xff;
        if (o1 < 192) {
          len = o1;
          p += 1;
        } else if (o1 < 224) {
          if (p + 1 >= b.length) {
            return "cut short";
          }
          len = ((o1 - 192L) << 8) + (b[p + 1] & 0xff) + 192;
          p += 2;
        } else if (o1 == 255) {
          if (p + 4 >= b.length) {
            return "cut short";
          }
          len = ((b[p + 1] & 0xffL) << 24) | ((b[p + 2] & 0xff) << 16) | ((b[p + 3] & 0xff) << 8) | (b[p + 4] & 0xff);
          p += 5;
        } else {
          return "a session key packet in partial lengths";
        }
      } else {
        int lenType = h & 3;
        if (lenType == 3) {
          return "a session key packet of indeterminate length";
        }
        int n = 1 << lenType;
        if (p + n > b.length) {
          return "cut short";
        }
        len = 0;
        for (int i = 0; i < n; i++) {
          len = (len << 8) | (b[p + i] & 0xff);
        }
        p += n;
      }
      if (len > b.length - p) {
        return "a packet longer than the envelope";
      }
      // the versions pitr writes: a version 3 public-key or a version 4 symmetric session key packet
      if (len < 1 || (b[p] & 0xff) != (tag == 1 ? 3 : 4)) {
        return "a session key packet of another version";
      }
      if (tag == 3 && tooCostly(b, p, (int) len)) {
        return "a symmetric session key packet whose S2K costs more than pitr's";
      }
      pos = p + (int) len;
      sessionKeys++;
    }
    return "no encrypted data";
  }

  /** The iterated S2K count octet pitr writes (Bouncy Castle's default, 65536 bytes hashed). */
  static final int S2K_COUNT = 0x60;

  /**
   * True when the symmetric session key packet body at {@code p} asks for an iterated and salted S2K (type 3) with a
   * larger count than pitr writes: its count octet can ask for 65 MB of hashing per packet (found by fuzzing, as an
   * input that took seconds to refuse). Version, cipher, S2K type, hash, 8 bytes of salt, the count.
   */
  static boolean tooCostly(byte[] b, int p, int len) {
    return len >= 13 && (b[p + 2] & 0xff) == 3 && (b[p + 12] & 0xff) > S2K_COUNT;
  }

  /**
   * True when the encrypted data packet at {@code pos} (type 18) is version 1, the only one pitr writes: version 2 is
   * AEAD, whose chunk size octet the parser would allocate by (found by fuzzing).
   */
  static boolean seipdVersionOne(byte[] b, int pos) {
    int p = pos + 1;
    if ((b[pos] & 0xC0) != 0xC0) {
      int lenType = b[pos] & 3;
      p += lenType == 3 ? 0 : 1 << lenType;
    } else if (p < b.length) {
      int o1 = b[p] & 0xff;
      p += o1 < 192 || o1 >= 224 && o1 < 255 ? 1 : o1 < 224 ? 2 : 5;
    }
    return p < b.length && b[p] == 1;
  }

  /**
   * {@code clear}, the decrypted content of an envelope or a body, if it starts with a literal data packet (type 11),
   * which is all pitr writes there. Decrypted with the wrong key (or damaged) it is noise, which the OpenPGP parser would
   * otherwise read as whatever packets it seems to hold before the integrity check runs at the end (found by fuzzing:
   * noise read as a signature packet whose fields claimed gigabytes).
   */
  static InputStream literalOnly(InputStream clear) throws IOException {
    java.io.PushbackInputStream in = new java.io.PushbackInputStream(clear, 1);
    int first = in.read();
    if (first < 0) {
      throw new IOException("the encrypted content is empty");
    }
    in.unread(first);
    boolean newFormat = (first & 0xC0) == 0xC0;
    int tag = (first & 0x80) == 0 ? -1 : newFormat ? first & 0x3F : (first >> 2) & 0x0F;
    if (tag != 11) {
      throw new IOException("the encrypted content is not literal data (wrong key, or damaged)");
    }
    return in;
  }

  /** Reads the data key out of opened encrypted data and checks its integrity. */
  static DataKey open(PGPEncryptedData data, InputStream clear) {
    try {
      Object o = new JcaPGPObjectFactory(literalOnly(clear)).nextObject();
      if (!(o instanceof PGPLiteralData lit)) {
        throw new WrongKeyException("the key envelope holds no key");
      }
      byte[] content = lit.getInputStream().readAllBytes();
      if (!data.verify()) {
        throw new WrongKeyException("the key envelope failed its integrity check");
      }
      return DataKey.parseSessionKey(new String(content, StandardCharsets.US_ASCII));
    } catch (IOException | PGPException | RuntimeException e) {
      // Bouncy Castle's parser answers some malformed packets with runtime exceptions (a ClassCastException was
      // found by fuzzing): a damaged envelope is refused like any other that this key does not open
      throw new WrongKeyException("cannot open the key envelope: " + e.getMessage());
    }
  }
}
