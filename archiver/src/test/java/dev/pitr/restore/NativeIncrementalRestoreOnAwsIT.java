package dev.pitr.restore;

import dev.pitr.ArchiveFixture;
import dev.pitr.aws.NeedsAws;

/** The chain of {@link NativeIncrementalRestoreIT} (PostgreSQL 17's own incrementals) on S3 and DynamoDB. */
@NeedsAws
class NativeIncrementalRestoreOnAwsIT extends NativeIncrementalRestoreIT {

    @Override
    ArchiveFixture.Backend backend() {
        return ArchiveFixture.Backend.AWS;
    }
}
