package dev.pitr.cli;

import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Fails(
        value = ErrorCode.BAD_TARGET,
        uses = {Fails.Part.LOCAL_FILES})
@Command(
        name = "generate",
        description = "Write a new random 256-bit key file (64 hex digits, mode 0600) for encryption.key_file.",
        footer = {"Example:", "  pitr keys generate --out /etc/pitr/archive.key"})
final class KeysGenerateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(
            names = "--out",
            paramLabel = "FILE",
            required = true,
            description = "The key file to create; an existing file is never replaced.")
    Path out;

    @Override
    public Integer call() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        try {
            Files.createFile(out, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.write(
                    out,
                    (HexFormat.of().formatHex(key) + "\n").getBytes(StandardCharsets.US_ASCII),
                    StandardOpenOption.WRITE);
        } catch (FileAlreadyExistsException e) {
            throw new PitrException(
                    ErrorCode.BAD_TARGET, out + " exists", "choose another path; a key file is never overwritten");
        } catch (IOException e) {
            throw new PitrException(
                    ErrorCode.LOCAL_IO, "cannot write " + out + ": " + e.getMessage(), "check the directory", e);
        }
        spec.commandLine()
                .getOut()
                .println("wrote a new key to " + out
                        + "; keep a copy apart from the archive: without it nothing can be restored");
        spec.commandLine().getOut().flush();
        return 0;
    }
}
