package dev.pitr.wal;

import dev.pitr.ArchiveFixture;
import dev.pitr.aws.NeedsAws;

/**
 * {@link CaptureCrashIT} with the archive in S3 and the catalog and lease in DynamoDB ({@link dev.pitr.aws.TestAws}).
 */
@NeedsAws
class CaptureCrashOnAwsIT extends CaptureCrashIT {

    @Override
    ArchiveFixture.Backend backend() {
        return ArchiveFixture.Backend.AWS;
    }
}
