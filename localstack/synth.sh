#!/usr/bin/env bash
# Synthesizes pitr's stack for LocalStack: the CDK app of infra/, with the Lambda runtime LocalStack 3.8 runs
# (java21), into localstack/cdk.out (or the directory given), which the compose topology mounts into LocalStack for
# its init hook to deploy. Build first: mvn -B -pl infra -am package -DskipTests
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(realpath -m "${1:-$root/localstack/cdk.out}")"
cd "$root/infra"
if [ ! -f target/classpath.txt ] || [ ! -f ../functions/target/pitr-functions-lambda.jar ]; then
  echo "synth: build first: mvn -B -pl infra -am package -DskipTests" >&2
  exit 1
fi
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
npx cdk synth --quiet -c pitr:lambdaRuntime=java21 -o "$out" >/dev/null
echo "synth: the LocalStack cloud assembly is in $out"
