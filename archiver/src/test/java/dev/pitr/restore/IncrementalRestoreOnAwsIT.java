package dev.pitr.restore;

import dev.pitr.ArchiveFixture;
import dev.pitr.aws.NeedsAws;

/** The chain of {@link IncrementalRestoreIT}, with the archive in S3 and the catalog in DynamoDB. */
@NeedsAws
class IncrementalRestoreOnAwsIT extends IncrementalRestoreIT {

    @Override
    ArchiveFixture.Backend backend() {
        return ArchiveFixture.Backend.AWS;
    }
}
