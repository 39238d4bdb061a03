package dev.pitr.restore;

import dev.pitr.ArchiveFixture;
import dev.pitr.aws.NeedsAws;

/** The restore tests with a key file, the archive in S3 and the catalog in DynamoDB: envelopes as S3 objects. */
@NeedsAws
class RestoreEncryptedOnAwsIT extends RestoreEncryptedIT.Encrypted {

    @Override
    ArchiveFixture.Backend backend() {
        return ArchiveFixture.Backend.AWS;
    }

    @Override
    ArchiveFixture.Encryption encryption() {
        return ArchiveFixture.Encryption.KEY_FILE;
    }
}
