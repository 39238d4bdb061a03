package dev.pitr.restore;

import dev.pitr.ArchiveFixture;
import dev.pitr.aws.NeedsAws;

/**
 * Every restore test of {@link RestoreIT}, with the archive in S3 and the catalog in DynamoDB ({@link
 * dev.pitr.aws.TestAws}).
 */
@NeedsAws
class RestoreOnAwsIT extends RestoreIT {

    @Override
    ArchiveFixture.Backend backend() {
        return ArchiveFixture.Backend.AWS;
    }
}
