/**
 * Runs a synthesized state machine definition, state by state, as Step Functions would, for the
 * subset of the Amazon States Language the distributed run uses: Task states that invoke a Lambda
 * function (LambdaInvoke with `payloadResponseOnly`), Choice with `IsPresent`, Succeed, and a
 * Distributed Map with a JSONL item reader, an item batcher, a result writer, a maximum
 * concurrency, a tolerated failure percentage and a Catch.
 *
 * Why not moto's own Step Functions interpreter: moto runs Lambda code only in Docker, which this
 * machine does not have, so its Task states could not reach the bundled handler. The states' order,
 * paths and parameters are read from the synthesized definition, not restated here: a change of
 * the definition changes what this driver does. The data path (S3, DynamoDB, Firehose) is moto's,
 * through the real SDK clients, and each Task runs the bundled handler in its own process.
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';

export interface TaskOutcome {
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: { readonly name: string; readonly message: string };
}

export interface DriverOptions {
  readonly executionName: string;
  readonly s3: S3Client;
  /** Invokes the Lambda function a Task names, with its payload. */
  readonly invoke: (functionArn: string, payload: unknown) => Promise<TaskOutcome>;
}

export interface DriverRun {
  readonly output: any;
  /** The states entered, in order (Map child executions as `Slices[i]:State`). */
  readonly trace: string[];
  /** What each Task was invoked with, in order. */
  readonly invocations: Array<{ state: string; payload: any }>;
}

class StateFailure extends Error {
  constructor(public readonly error: string, public readonly cause: string) {
    super(`${error}: ${cause}`);
  }
}

/** `$`, `$.a.b` and `$$.Execution.Name`: the paths the definition uses. */
function readPath(path: string, input: any, context: any): any {
  const [root, rest] = path.startsWith('$$') ? [context, path.slice(2)] : [input, path.slice(1)];
  let value = root;
  for (const key of rest.split('.').filter(Boolean)) {
    if (value === undefined || value === null || !(key in value)) throw new StateFailure('States.Runtime', `the JSONPath '${path}' could not be found in the input`);
    value = value[key];
  }
  return value;
}

function resolveParameters(template: any, input: any, context: any): any {
  if (Array.isArray(template)) return template.map((item) => resolveParameters(item, input, context));
  if (template === null || typeof template !== 'object') return template;
  return Object.fromEntries(Object.entries(template).map(([key, value]) => (key.endsWith('.$')
    ? [key.slice(0, -2), readPath(value as string, input, context)]
    : [key, resolveParameters(value, input, context)])));
}

function applyResultPath(input: any, resultPath: string | null | undefined, result: any): any {
  if (resultPath === null) return input;
  if (resultPath === undefined || resultPath === '$') return result;
  const keys = resultPath.slice(2).split('.');
  const copy = structuredClone(input);
  let target = copy;
  for (const key of keys.slice(0, -1)) target = (target[key] ??= {});
  target[keys[keys.length - 1]] = result;
  return copy;
}

export async function runStateMachine(definition: any, input: unknown, options: DriverOptions): Promise<DriverRun> {
  const trace: string[] = [];
  const invocations: DriverRun['invocations'] = [];
  const context = { Execution: { Name: options.executionName } };
  const output = await runStates(definition, input, '', { ...options, trace, invocations, context });
  return { output, trace, invocations };
}

interface Running extends DriverOptions {
  readonly trace: string[];
  readonly invocations: DriverRun['invocations'];
  readonly context: any;
}

async function runStates(machine: any, input: any, label: string, run: Running): Promise<any> {
  let name: string | undefined = machine.StartAt;
  let data = input;
  while (name) {
    const state = machine.States[name];
    if (!state) throw new Error(`the definition has no state ${name}`);
    run.trace.push(`${label}${name}`);
    try {
      switch (state.Type) {
        case 'Task':
          data = applyResultPath(data, state.ResultPath, await runTask(state, `${label}${name}`, data, run));
          break;
        case 'Map':
          data = applyResultPath(data, state.ResultPath, await runDistributedMap(state, data, run));
          break;
        case 'Choice': {
          const choice = state.Choices.find((c: any) => {
            if (c.IsPresent === undefined) throw new Error(`this driver knows IsPresent choices only: ${JSON.stringify(c)}`);
            let present = true;
            try { readPath(c.Variable, data, run.context); } catch { present = false; }
            return present === c.IsPresent;
          });
          name = choice ? choice.Next : state.Default;
          continue;
        }
        case 'Succeed':
          return data;
        default:
          throw new Error(`this driver does not run ${state.Type} states`);
      }
    } catch (err) {
      if (!(err instanceof StateFailure)) throw err;
      const handler = (state.Catch ?? []).find((c: any) => c.ErrorEquals.includes('States.ALL') || c.ErrorEquals.includes(err.error));
      if (!handler) throw err;
      data = applyResultPath(data, handler.ResultPath, { Error: err.error, Cause: err.cause });
      name = handler.Next;
      continue;
    }
    name = state.End ? undefined : state.Next;
  }
  return data;
}

async function runTask(state: any, label: string, input: any, run: Running): Promise<any> {
  const payload = state.Parameters ? resolveParameters(state.Parameters, input, run.context) : input;
  run.invocations.push({ state: label, payload });
  const outcome = await run.invoke(state.Resource, payload);
  if (!outcome.ok) throw new StateFailure(outcome.error?.name ?? 'Error', outcome.error?.message ?? 'unknown');
  return outcome.result;
}

async function runDistributedMap(state: any, input: any, run: Running): Promise<any> {
  if (state.ItemProcessor?.ProcessorConfig?.Mode !== 'DISTRIBUTED') throw new Error('this driver runs Distributed Maps only');
  // Item reader: a JSONL object in S3, one item per line.
  const reader = resolveParameters(state.ItemReader.Parameters, input, run.context);
  if (state.ItemReader.ReaderConfig?.InputType !== 'JSONL') throw new Error('this driver reads JSONL items only');
  const object = await run.s3.send(new GetObjectCommand({ Bucket: reader.Bucket, Key: reader.Key }));
  const items = (await object.Body!.transformToString()).split('\n').filter(Boolean).map((line) => JSON.parse(line));
  // Item batcher: batches of at most MaxItemsPerBatch, each with the batch input.
  const batcher = state.ItemBatcher;
  const batchInput = resolveParameters(batcher.BatchInput, input, run.context);
  const batches: any[] = [];
  for (let i = 0; i < items.length; i += batcher.MaxItemsPerBatch) {
    batches.push({ Items: items.slice(i, i + batcher.MaxItemsPerBatch), BatchInput: batchInput });
  }
  // Child executions, at most MaxConcurrency at once.
  const limit = pLimit(state.MaxConcurrency || batches.length || 1);
  const children = await Promise.all(batches.map((batch, index) => limit(async () => {
    try {
      const output = await runStates(state.ItemProcessor, batch, `Slices[${index}]:`, run);
      return { Status: 'SUCCEEDED', Input: JSON.stringify(batch), Output: JSON.stringify(output) };
    } catch (err) {
      if (!(err instanceof StateFailure)) throw err;
      return { Status: 'FAILED', Input: JSON.stringify(batch), Error: err.error, Cause: err.cause };
    }
  })));
  // Result writer: the child executions' results and a manifest, as Step Functions writes them.
  const writer = resolveParameters(state.ResultWriter.Parameters, input, run.context);
  const mapRunId = `${run.context.Execution.Name}-map`;
  const folder = `${writer.Prefix}/${mapRunId}`;
  const resultFiles: Record<string, Array<{ Key: string; Size: number }>> = { FAILED: [], PENDING: [], SUCCEEDED: [] };
  for (const status of ['SUCCEEDED', 'FAILED']) {
    const of = children.filter((child) => child.Status === status);
    if (of.length === 0) continue;
    const body = JSON.stringify(of);
    const key = `${folder}/${status}_0.json`;
    await run.s3.send(new PutObjectCommand({ Bucket: writer.Bucket, Key: key, Body: body }));
    resultFiles[status].push({ Key: key, Size: body.length });
  }
  const manifestKey = `${folder}/manifest.json`;
  await run.s3.send(new PutObjectCommand({
    Bucket: writer.Bucket,
    Key: manifestKey,
    Body: JSON.stringify({ DestinationBucket: writer.Bucket, MapRunArn: `arn:aws:states:us-east-1:123456789012:mapRun:${mapRunId}`, ResultFiles: resultFiles }),
  }));
  const failed = children.filter((child) => child.Status === 'FAILED').length;
  if (failed > 0 && (failed * 100) / children.length > (state.ToleratedFailurePercentage ?? 0)) {
    throw new StateFailure('States.ExceedToleratedFailureThreshold', `${failed} of ${children.length} child executions failed`);
  }
  return { MapRunArn: `arn:aws:states:us-east-1:123456789012:mapRun:${mapRunId}`, ResultWriterDetails: { Bucket: writer.Bucket, Key: manifestKey } };
}

/** The definition of a synthesized `AWS::StepFunctions::StateMachine`, with its references replaced. */
export function resolvedDefinition(stateMachine: any, refs: Record<string, string>): any {
  const body = stateMachine.Properties.DefinitionString;
  const part = (p: any): string => {
    if (typeof p === 'string') return p;
    if (p.Ref) {
      if (p.Ref === 'AWS::Partition') return 'aws';
      if (!(p.Ref in refs)) throw new Error(`no value for Ref ${p.Ref}`);
      return refs[p.Ref];
    }
    if (p['Fn::GetAtt']) {
      const key = `${p['Fn::GetAtt'][0]}.${p['Fn::GetAtt'][1]}`;
      if (!(key in refs)) throw new Error(`no value for GetAtt ${key}`);
      return refs[key];
    }
    throw new Error(`cannot resolve ${JSON.stringify(p)}`);
  };
  const text = typeof body === 'string' ? body : body['Fn::Join'][1].map(part).join(body['Fn::Join'][0]);
  return JSON.parse(text);
}
