package dev.pitr.infra;

import io.github.cdklabs.cdknag.AwsSolutionsChecks;
import java.util.Map;
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.Aspects;
import software.amazon.awscdk.StackProps;

/**
 * The CDK app: one {@link PitrStack}, checked by cdk-nag's AWS Solutions rules on every synth. The stack name is
 * {@code pitr:stackName} (default {@code Pitr}); run one stack per cluster. The cdk CLI runs it through {@code cdk.json}.
 */
public final class PitrApp {

    private PitrApp() {}

    public static void main(String[] args) {
        app(null, Map.of()).synth();
    }

    /**
     * The app with its stack and checks, not yet synthesized; {@code outdir} null for the default, {@code context}
     * added to what cdk.json and {@code -c} give.
     */
    static App app(String outdir, Map<String, Object> context) {
        AppProps.Builder props = AppProps.builder().context(context);
        if (outdir != null) {
            props.outdir(outdir);
        }
        App app = new App(props.build());
        Object name = app.getNode().tryGetContext("pitr:stackName");
        new PitrStack(
                app,
                name == null ? "Pitr" : name.toString(),
                StackProps.builder()
                        .description("pitr: continuous archiving and point-in-time recovery for PostgreSQL")
                        .build(),
                StackSettings.from(app.getNode()));
        Aspects.of(app).add(new AwsSolutionsChecks());
        return app;
    }
}
