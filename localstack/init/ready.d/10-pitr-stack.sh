#!/usr/bin/env bash
# LocalStack init hook (ready.d): deploys pitr's stack into LocalStack from the CloudFormation template that infra/
# synthesizes (localstack/synth.sh writes it to localstack/cdk.out), so the bucket, the catalog table, the key, the
# Lambdas, the activity and the restore state machine come from the same definitions as on AWS. It does what
# 'cdk deploy' does: publish the file assets, set the bootstrap version the template checks, deploy the template
# with the cluster's identifier, then write the stack's outputs as pitr settings (PITR_STORAGE_BUCKET=...) for the
# pitr containers to read.
set -euo pipefail
out="${PITR_CDK_OUT:-/opt/pitr/cdk.out}"
stack="${PITR_STACK_NAME:-Pitr}"
cluster_file="${PITR_CLUSTER_ID_FILE:-/var/lib/pitr/cluster/system_identifier}"
outputs="${PITR_STACK_OUTPUTS:-/var/lib/pitr/stack/outputs.env}"
wait="${PITR_WAIT_SECONDS:-300}"
aws=(awslocal)
if [ -n "${PITR_AWS_CLI:-}" ]; then
  read -r -a aws <<<"$PITR_AWS_CLI"
fi
account="${PITR_ACCOUNT_ID:-000000000000}"
region="${AWS_DEFAULT_REGION:-us-east-1}"

# outputs of an earlier LocalStack (its state went with it) must not make this one look deployed
rm -f "$outputs"
template="$out/$stack.template.json"
manifest="$out/$stack.assets.json"
for f in "$template" "$manifest"; do
  if [ ! -f "$f" ]; then
    echo "pitr-stack: $f is missing; run localstack/synth.sh on the host first" >&2
    exit 1
  fi
done

# the stack is per cluster: the primary's init script writes its system identifier where this hook can read it
for ((i = 0; ; i++)); do
  [ -s "$cluster_file" ] && break
  if ((i >= wait)); then
    echo "pitr-stack: no cluster identifier in $cluster_file after $wait s; is the primary up?" >&2
    exit 1
  fi
  sleep 1
done
cluster="$(tr -d '[:space:]' <"$cluster_file")"

assets="cdk-hnb659fds-assets-$account-$region"
"${aws[@]}" s3api head-bucket --bucket "$assets" 2>/dev/null || "${aws[@]}" s3 mb "s3://$assets"
# each file asset: its source in the cloud assembly, and its key in the assets bucket
python3 - "$manifest" <<'PY' | while IFS=$'\t' read -r source key; do
import json, sys
for asset in json.load(open(sys.argv[1]))["files"].values():
    if asset["source"].get("packaging") != "file":
        sys.exit("pitr-stack: only file assets can be published here, not " + asset["source"].get("packaging", "?"))
    for dest in asset["destinations"].values():
        print(asset["source"]["path"] + "\t" + dest["objectKey"])
PY
  "${aws[@]}" s3 cp --quiet "$out/$source" "s3://$assets/$key"
done
"${aws[@]}" ssm put-parameter --overwrite --type String --name /cdk-bootstrap/hnb659fds/version --value 21 >/dev/null

"${aws[@]}" cloudformation deploy --stack-name "$stack" --template-file "$template" --s3-bucket "$assets" \
  --parameter-overrides "ClusterId=$cluster" --capabilities CAPABILITY_IAM CAPABILITY_NAMED_IAM \
  --no-fail-on-empty-changeset

# the outputs, named as pitr's settings; written whole, then moved into place, so a reader never sees half of them
mkdir -p "$(dirname "$outputs")"
"${aws[@]}" cloudformation describe-stacks --stack-name "$stack" \
  --query 'Stacks[0].Outputs[].[OutputKey,OutputValue]' --output text | while read -r key value; do
  case "$key" in
    BucketName) echo "PITR_STORAGE_BUCKET=$value" ;;
    TableName) echo "PITR_CATALOG_TABLE=$value" ;;
    KeyArn) echo "PITR_STORAGE_SSE_KMS_KEY_ID=$value" ;;
    ActivityArn) echo "PITR_STEPFUNCTIONS_ACTIVITY_ARN=$value" ;;
    StateMachineArn) echo "PITR_STEPFUNCTIONS_STATE_MACHINE_ARN=$value" ;;
  esac
done >"$outputs.tmp"
echo "PITR_CATALOG_CLUSTER=$cluster" >>"$outputs.tmp"
mv "$outputs.tmp" "$outputs"
echo "pitr-stack: $stack deployed for cluster $cluster; settings in $outputs"
