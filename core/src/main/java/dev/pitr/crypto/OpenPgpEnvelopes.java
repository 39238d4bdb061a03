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
    // an envelope starts with a session key packet (public-key or symmetric); anything else is refused before the
    // OpenPGP parser sees it, which sizes some packets' allocations by their fields (found by fuzzing: a key
    // packet of a few bytes claiming megabytes)
    int tag = envelope.length == 0 ? -1 : packetTag(envelope[0] & 0xff);
    if (tag != 1 && tag != 3) {
      throw new WrongKeyException("not a key envelope: it starts with packet type " + tag);
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

  /** The packet type of a packet whose first byte is {@code b} (new or old format), or -1 if it is no packet header. */
  static int packetTag(int b) {
    if ((b & 0xC0) == 0xC0) {
      return b & 0x3F;
    }
    if ((b & 0xC0) == 0x80) {
      return (b >> 2) & 0x0F;
    }
    return -1;
  }

  /** Reads the data key out of opened encrypted data and checks its integrity. */
  static DataKey open(PGPEncryptedData data, InputStream clear) {
    try {
      Object o = new JcaPGPObjectFactory(clear).nextObject();
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
