// Runs the restore state machine's ASL with aws-local-stepfunctions, binding every Task to the real Java code over
// JSON lines on stdio: the Lambda Tasks to the handlers in the Lambda jar (dev.pitr.functions.LambdaStdio), the
// activity Tasks to `pitr agent --stdio`. This script plays the Step Functions service's part for activities,
// including HeartbeatSeconds (counted from when the agent takes the task, which it says with a "started" line) and
// TimeoutSeconds (counted from when the task is scheduled, so it bounds the wait for an agent too), which
// aws-local-stepfunctions does not implement for them.
//
// usage: node run-restore.mjs DEFINITION.json INPUT.json
// env:   PITR_LAMBDA_CMD, PITR_AGENT_CMD  JSON arrays: the commands to start (their environment is inherited);
//                                         an empty PITR_AGENT_CMD is no agent at all: activity tasks are never taken
//        PITR_HEARTBEAT_SECONDS           optional: overrides every activity's HeartbeatSeconds
//        PITR_RETRY_INTERVAL_MS           optional: the pause before each retry (default 100 ms)
// prints each state entered to stderr, then one JSON line to stdout: {status, output} or {status, error, cause}

// aws-local-stepfunctions 3 uses Promise.withResolvers (node 22); node 20 lacks it, and this is all it needs
if (!Promise.withResolvers) {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { StateMachine } from 'aws-local-stepfunctions';

const ARNS = {
  PlanFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:pitr-plan',
  RecordFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:pitr-record',
  AgentActivityArn: 'arn:aws:states:us-east-1:000000000000:activity:pitr-agent',
};

let text = readFileSync(process.argv[2], 'utf8');
for (const [k, v] of Object.entries(ARNS)) {
  text = text.split('${' + k + '}').join(v);
}
const definition = JSON.parse(text);
const input = JSON.parse(readFileSync(process.argv[3], 'utf8'));

/** A child process spoken to in JSON lines; each request waits for the reply with its id. */
function peer(name, command) {
  const pending = new Map();
  let next = 1;
  if (command.length === 0) {
    return {
      child: { kill() {} },
      call(fields, heartbeatSeconds, timeoutSeconds) {
        return new Promise((resolve, reject) => {
          if (timeoutSeconds) setTimeout(() => reject(timedOut(`no agent took the task in ${timeoutSeconds} s`)), timeoutSeconds * 1000);
        });
      },
    };
  }
  const child = spawn(command[0], command.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  createInterface({ input: child.stdout }).on('line', (line) => {
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      process.stderr.write(`${name}: ${line}\n`);
      return;
    }
    const p = pending.get(msg.id);
    if (!p) return;
    if (msg.heartbeat || msg.started) {
      p.started = true;
      p.lastBeat = Date.now();
      return;
    }
    pending.delete(msg.id);
    clearInterval(p.timer);
    if (msg.error) {
      const e = new Error(msg.cause ?? msg.error);
      e.name = msg.error;
      p.reject(e);
    } else {
      p.resolve(msg.output);
    }
  });
  child.on('exit', () => {
    // a peer that is gone answers nothing more; activity Tasks then time out on their heartbeat, as in AWS
  });
  return {
    child,
    call(fields, heartbeatSeconds, timeoutSeconds) {
      const id = next++;
      return new Promise((resolve, reject) => {
        const scheduled = Date.now();
        const p = { resolve, reject, lastBeat: scheduled, started: false, timer: null };
        if (heartbeatSeconds || timeoutSeconds) {
          p.timer = setInterval(() => {
            let e = null;
            if (timeoutSeconds && Date.now() - scheduled > timeoutSeconds * 1000) {
              e = timedOut(`the task did not finish in ${timeoutSeconds} s`);
            } else if (p.started && heartbeatSeconds && Date.now() - p.lastBeat > heartbeatSeconds * 1000) {
              e = new Error(`no heartbeat for ${heartbeatSeconds} s`);
              e.name = 'States.HeartbeatTimeout';
            }
            if (e) {
              clearInterval(p.timer);
              pending.delete(id);
              reject(e);
            }
          }, 200);
        }
        pending.set(id, p);
        child.stdin.write(JSON.stringify({ id, ...fields }) + '\n');
      });
    },
  };
}

function timedOut(message) {
  const e = new Error(message);
  e.name = 'States.Timeout';
  return e;
}

const lambda = peer('lambda', JSON.parse(process.env.PITR_LAMBDA_CMD));
const agent = peer('agent', JSON.parse(process.env.PITR_AGENT_CMD));
const heartbeatOverride = process.env.PITR_HEARTBEAT_SECONDS ? Number(process.env.PITR_HEARTBEAT_SECONDS) : null;

const handlers = {};
for (const [name, state] of Object.entries(definition.States)) {
  if (state.Type !== 'Task') continue;
  if (state.Resource === ARNS.PlanFunctionArn) {
    handlers[name] = (event) => lambda.call({ handler: 'plan', input: event });
  } else if (state.Resource === ARNS.RecordFunctionArn) {
    handlers[name] = (event) => lambda.call({ handler: 'record', input: event });
  } else if (state.Resource === ARNS.AgentActivityArn) {
    handlers[name] = (event) =>
      agent.call({ input: event }, heartbeatOverride ?? state.HeartbeatSeconds, state.TimeoutSeconds);
  } else {
    throw new Error(`no binding for the resource of state ${name}: ${state.Resource}`);
  }
}

const retryIntervalOverrides = {};
for (const [name, state] of Object.entries(definition.States)) {
  if (state.Retry) retryIntervalOverrides[name] = Number(process.env.PITR_RETRY_INTERVAL_MS ?? 100);
}

const sm = new StateMachine(definition);
const execution = sm.run(input, { overrides: { taskResourceLocalHandlers: handlers, retryIntervalOverrides } });
(async () => {
  for await (const event of execution.eventLogs) {
    if (event.type === 'StateEntered') {
      process.stderr.write(`entered ${event.state.name}\n`);
    } else if (event.type === 'StateRetried') {
      process.stderr.write(`retried ${event.state.name}\n`);
    }
  }
})();
let result;
try {
  result = { status: 'SUCCEEDED', output: await execution.result };
} catch (e) {
  result = { status: 'FAILED', error: e.cause?.name ?? e.name, cause: e.cause?.message ?? e.message };
}
process.stdout.write(JSON.stringify(result) + '\n');
lambda.child.kill();
agent.child.kill();
process.exit(0);
