package dev.pitr.restore;

import dev.pitr.ArchiveFixture;
import dev.pitr.aws.NeedsAws;

/** Every restore test of {@link RestoreIT}, with the archive in S3 (S3Proxy) and the catalog in DynamoDB (Local). */
@NeedsAws
class RestoreOnAwsIT extends RestoreIT {

  @Override
  ArchiveFixture.Backend backend() {
    return ArchiveFixture.Backend.AWS;
  }
}
