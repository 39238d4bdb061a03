package dev.pitr.verify;

import dev.pitr.ArchiveFixture;
import dev.pitr.aws.NeedsAws;

/** Every test of {@link VerifyIT}, with the archive in S3 and the catalog in DynamoDB. */
@NeedsAws
class VerifyOnAwsIT extends VerifyIT {

    @Override
    ArchiveFixture.Backend backend() {
        return ArchiveFixture.Backend.AWS;
    }
}
