// Evaluates requests against IAM policies offline with @cloud-copilot/iam-simulate (pinned in package.json).
// usage: node iam-simulate.mjs CASES.json
// CASES.json: [{"identityPolicies": [{"name", "policy"}], "resourcePolicy": policy or null, "request": {"action",
//   "principal", "resource": {"resource", "accountId"}, "contextVariables"}}, ...]
// stdout: one JSON array, per case {"result": "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied" | "Error", "errors",
//   "allowedBy": [{"policy": name, "statement": index in its Statement}]}
//
// The simulator (0.1.173) drops request context keys of the form kms:EncryptionContext:<name>: it matches only
// variable keys written with a slash. So before a case is run, each such key, in the request and in every policy's
// conditions alike, is renamed to the global key aws:PrincipalTag/kms-encryption-context-<name>, which it keeps. The
// condition operators compare values the same way whatever the key is called, so the decision is the one AWS makes.
import { readFileSync } from 'node:fs';
import { runSimulation } from '@cloud-copilot/iam-simulate';

const CONTEXT = /^kms:encryptioncontext:(.+)$/i;
const rename = (key) => {
  const m = CONTEXT.exec(key);
  return m ? `aws:PrincipalTag/kms-encryption-context-${m[1]}` : key;
};

function renamed(node) {
  if (Array.isArray(node)) return node.map(renamed);
  if (node && typeof node === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(node)) {
      // a condition block is { operator: { key: values } }: rename the keys one level under Condition
      out[k] = k === 'Condition'
        ? Object.fromEntries(Object.entries(v).map(([op, kv]) =>
            [op, Object.fromEntries(Object.entries(kv).map(([ck, cv]) => [rename(ck), cv]))]))
        : renamed(v);
    }
    return out;
  }
  return node;
}

const cases = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const results = [];
for (const c of cases) {
  const context = Object.fromEntries(Object.entries(c.request.contextVariables).map(([k, v]) => [rename(k), v]));
  const simulation = {
    identityPolicies: renamed(c.identityPolicies),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    request: { ...c.request, contextVariables: context },
  };
  if (c.resourcePolicy) simulation.resourcePolicy = renamed(c.resourcePolicy);
  const r = await runSimulation(simulation, {});
  if (r.resultType === 'error') {
    results.push({ result: 'Error', errors: r.errors });
  } else {
    // which identity statements allowed it (policy name and index), for the report of grants no call used
    const allows = r.resultType === 'single' ? r.result?.analysis?.identityAnalysis?.allowStatements ?? [] : [];
    const allowedBy = allows.map((a) => {
      const policy = c.identityPolicies.find((p) => p.name === a.policyId);
      const statements = [policy?.policy?.Statement ?? []].flat();
      return { policy: a.policyId, statement: statements.findIndex((st) => JSON.stringify(renamed(st)) === JSON.stringify(a.statement)) };
    });
    results.push({ result: r.overallResult, allowedBy });
  }
}
process.stdout.write(JSON.stringify(results));
