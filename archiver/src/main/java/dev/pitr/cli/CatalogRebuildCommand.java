package dev.pitr.cli;

import dev.pitr.catalog.ArchiveConflictException;
import dev.pitr.catalog.CatalogRebuilder;
import dev.pitr.config.Config;
import dev.pitr.config.Repository;
import dev.pitr.config.RepositorySetup;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Fails(
        value = {ErrorCode.ARCHIVE_CONFLICT, ErrorCode.LEASE_HELD},
        uses = {Fails.Part.CONFIG, Fails.Part.REPOSITORY, Fails.Part.LOCAL_FILES})
@Command(
        name = "rebuild",
        description = "Recreate the catalog from the objects in storage (creates the table or file if it is gone).",
        footer = {"Example:", "  pitr --config /etc/pitr/pitr.yaml catalog rebuild"})
final class CatalogRebuildCommand implements Callable<Integer> {

    @ParentCommand
    CatalogCommand catalog;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Config config = catalog.root.config();
        RepositorySetup.ensure(config, true);
        try (Repository repo = Repository.open(config, false)) {
            CatalogRebuilder.Result r =
                    new CatalogRebuilder(repo, spec.commandLine().getOut()).rebuild();
            if (!r.failures().isEmpty()) {
                throw new PitrException(
                        ErrorCode.CORRUPT_OBJECT,
                        r.failures().size() + " objects could not be recorded (each is" + " listed above), the first: "
                                + r.failures().get(0),
                        "what was recorded is usable; restore or remove those objects and run 'pitr catalog rebuild' again");
            }
            if (!r.conflicts().isEmpty()) {
                throw new ArchiveConflictException(r.conflicts().size() + " objects disagree with the catalog: "
                        + r.conflicts().get(0));
            }
            return 0;
        }
    }
}
