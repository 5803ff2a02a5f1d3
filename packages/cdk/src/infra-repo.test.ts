/**
 * The Infra repo as a whole: the cross-stack contract (every ImportValue resolves to an export of a lower
 * layer under the same naming rule; every parameter passed exists, every required one is passed), the
 * committed `templates/` against a fresh synthesis, and AWS limits with long names.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import {
  albStackParameters,
  appPipelineParameters,
  awsEnvironments,
  bootPipelineParameters,
  EXPORT_KEYS,
  ecrStackParameters,
  environmentNames,
  exportName,
  infraPipelineParameters,
  type LanesConfig,
  laneNames,
  laneStackParameters,
  logStackParameters,
  namespaceStackParameters,
  networkStackParameters,
  parseConfig,
  sdStackParameters,
  serviceNames,
} from '@ecs-lanes/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthInfraRepo, synthTemplates, type TemplateKind } from './infra-repo.js';
import { TEMPLATE_FILES } from './pipeline-kit.js';
import { infraRepo, prebuiltTemplates } from './prebuilt.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const EXAMPLE_TEXT = readFileSync(join(ROOT, 'examples/lanes.yaml'), 'utf8');

function load(text: string): LanesConfig {
  const r = parseConfig(text);
  if (!r.ok) throw new Error(r.issues.map((i) => i.message).join('\n'));
  return r.config;
}

type Json = Record<string, unknown>;
let templates: Record<TemplateKind, Json>;
let files: Map<string, string>;
const example = load(EXAMPLE_TEXT);

beforeAll(() => {
  templates = synthTemplates().templates as Record<TemplateKind, Json>;
  files = synthInfraRepo(example, { configText: EXAMPLE_TEXT });
}, 120_000);

/** Layer order: an import must point to a strictly lower entry. */
const ORDER: Record<TemplateKind, number> = {
  network: 0,
  namespace: 1,
  sd: 2,
  log: 2,
  alb: 2,
  ecr: 2,
  lane: 3,
  pipelineInfra: 3,
  pipelineBoot: 3,
  pipelineApp: 3,
};

/** Which template a `XxxStackName` parameter names. */
const EXPORTER_OF_PARAMETER: Record<string, TemplateKind> = {
  NetworkStackName: 'network',
  NamespaceStackName: 'namespace',
  SdStackName: 'sd',
  LogStackName: 'log',
  AlbStackName: 'alb',
  EcrStackName: 'ecr',
};

/** Every `Fn::ImportValue` of a template, as [stack-name parameter, key]. */
function imports(template: unknown): [string, string][] {
  const out: [string, string][] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const obj = node as Json;
    if ('Fn::ImportValue' in obj) {
      const sub = (obj['Fn::ImportValue'] as Json)['Fn::Sub'];
      const m = typeof sub === 'string' ? /^\$\{([A-Za-z0-9]+)\}:([A-Za-z0-9-]+)$/.exec(sub) : null;
      if (!m) throw new Error(`unexpected ImportValue form: ${JSON.stringify(obj)}`);
      out.push([m[1]!, m[2]!]);
      return;
    }
    Object.values(obj).forEach(visit);
  };
  visit(template);
  return out;
}

/** The export keys of a template (Outputs exported as `${AWS::StackName}:Key`). */
function exportKeys(template: Json): string[] {
  return Object.values((template.Outputs ?? {}) as Record<string, Json>).map((o) => {
    const name = ((o.Export as Json).Name as Json)['Fn::Sub'] as string;
    const m = /^\$\{AWS::StackName\}:([A-Za-z0-9-]+)$/.exec(name);
    if (!m) throw new Error(`export not named {stack}:{key}: ${name}`);
    return m[1]!;
  });
}

function parameters(kind: TemplateKind): Record<string, Json> {
  return templates[kind].Parameters as Record<string, Json>;
}

/** Checks values against a template's parameters, both ways, and against each constraint. */
function expectFits(kind: TemplateKind, values: Record<string, string>, where: string): void {
  const params = parameters(kind);
  const passed = Object.keys(values);
  expect(
    passed.filter((k) => !(k in params)),
    `${where}: passed but not declared by ${kind}`,
  ).toEqual([]);
  const required = Object.entries(params)
    .filter(([, p]) => p.Default === undefined)
    .map(([k]) => k);
  expect(
    required.filter((k) => !passed.includes(k)),
    `${where}: required by ${kind} but not passed`,
  ).toEqual([]);
  for (const [k, v] of Object.entries(values)) {
    const p = params[k]!;
    if (typeof p.MaxLength === 'number')
      expect(v.length, `${where}: ${k}=${v}`).toBeLessThanOrEqual(p.MaxLength);
    if (typeof p.MinLength === 'number')
      expect(v.length, `${where}: ${k}=${v}`).toBeGreaterThanOrEqual(p.MinLength);
    if (typeof p.AllowedPattern === 'string' && !(p.Default === '' && v === '')) {
      expect(v, `${where}: ${k} against ${p.AllowedPattern}`).toMatch(new RegExp(p.AllowedPattern));
    }
    if (Array.isArray(p.AllowedValues)) expect(p.AllowedValues, `${where}: ${k}`).toContain(v);
    if (p.Type === 'Number') {
      const n = Number(v);
      expect(Number.isFinite(n), `${where}: ${k}=${v} is a number`).toBe(true);
      if (typeof p.MinValue === 'number') expect(n).toBeGreaterThanOrEqual(p.MinValue);
      if (typeof p.MaxValue === 'number') expect(n).toBeLessThanOrEqual(p.MaxValue);
    }
  }
}

/** Every (template, values) pair the pipelines, parameter files, README and CLI pass, for a config. */
function passedParameters(config: LanesConfig): [TemplateKind, Record<string, string>, string][] {
  const out: [TemplateKind, Record<string, string>, string][] = [];
  for (const env of awsEnvironments(config)) {
    out.push(['network', networkStackParameters(env), `${env.name} network`]);
    out.push(['namespace', namespaceStackParameters(config, env), `${env.name} namespace`]);
    out.push(['pipelineInfra', infraPipelineParameters(config, env), `${env.name} pipeline-infra`]);
    for (const service of config.services) {
      const w = `${env.name}/${service.name}`;
      out.push(['sd', sdStackParameters(env, service), `${w} sd`]);
      out.push(['log', logStackParameters(env, service), `${w} log`]);
      out.push(['alb', albStackParameters(env, service), `${w} alb`]);
      out.push(['ecr', ecrStackParameters(env, service), `${w} ecr`]);
      out.push(['pipelineBoot', bootPipelineParameters(config, env, service), `${w} pipeline-boot`]);
      out.push(['pipelineApp', appPipelineParameters(config, env, service), `${w} pipeline-app`]);
      for (const lane of [env.baselineLane, 'gray', 'feat-login', 'x']) {
        const values = laneStackParameters({
          config,
          env,
          service,
          lane,
          imageUri: `${env.account}.dkr.ecr.${env.region}.amazonaws.com/${serviceNames(service.name, env.name).ecrRepository}:3f2a1bc0d9e8`,
          rulePriority: 4242,
          testRulePriority: 4243,
        });
        out.push(['lane', values, `${w} lane ${lane}`]);
      }
    }
  }
  return out;
}

describe('cross-stack contract', () => {
  it('every ImportValue resolves to an export of a lower layer', () => {
    let count = 0;
    for (const [kind, template] of Object.entries(templates) as [TemplateKind, Json][]) {
      for (const [param, key] of imports(template)) {
        count++;
        const exporter = EXPORTER_OF_PARAMETER[param];
        expect(exporter, `${kind} imports through unknown parameter ${param}`).toBeDefined();
        expect(parameters(kind)[param], `${kind} declares ${param}`).toBeDefined();
        expect(exportKeys(templates[exporter!]), `${kind} imports ${key} from ${exporter}`).toContain(key);
        expect(ORDER[exporter!], `${kind} imports from ${exporter}`).toBeLessThan(ORDER[kind]);
      }
    }
    expect(count).toBeGreaterThan(20);
  });

  it('exports are exactly core’s EXPORT_KEYS', () => {
    for (const kind of ['network', 'namespace', 'sd', 'log', 'alb', 'ecr'] as const) {
      expect(exportKeys(templates[kind]).sort()).toEqual([...EXPORT_KEYS[kind]].sort());
    }
  });

  it('the stack names passed to importers are the names the exporters are deployed under', () => {
    for (const env of awsEnvironments(example)) {
      const e = environmentNames(env.name);
      for (const service of example.services) {
        const s = serviceNames(service.name, env.name);
        const lane = laneStackParameters({ config: example, env, service, lane: 'gray', imageUri: 'r/x:1' });
        expect(lane.NetworkStackName).toBe(e.networkStack);
        expect(lane.NamespaceStackName).toBe(e.namespaceStack);
        expect(lane.SdStackName).toBe(s.sdStack);
        expect(lane.LogStackName).toBe(s.logStack);
        expect(lane.AlbStackName).toBe(s.albStack);
        expect(appPipelineParameters(example, env, service).EcrStackName).toBe(s.ecrStack);
        expect(namespaceStackParameters(example, env).NetworkStackName).toBe(e.networkStack);
        // the Fn::Sub "${AlbStackName}:ListenerArn" resolves to core's exportName
        expect(`${lane.AlbStackName}:ListenerArn`).toBe(exportName(s.albStack, 'ListenerArn'));
        // the README deploys the exporters under those names
        const readme = files.get('README.md')!;
        for (const name of [
          e.networkStack,
          e.namespaceStack,
          s.sdStack,
          s.logStack,
          s.albStack,
          s.ecrStack,
        ]) {
          expect(readme).toContain(`--stack-name ${name} `);
        }
      }
    }
  });

  it('every parameter passed exists in its template, and every required one is passed', () => {
    const cases = passedParameters(example);
    expect(cases.length).toBeGreaterThan(30);
    for (const [kind, values, where] of cases) expectFits(kind, values, where);
  });

  it('every parameter file matches its template', () => {
    const byFile: Record<string, TemplateKind> = {
      'infra-network.json': 'network',
      'infra-namespace.json': 'namespace',
      'pipeline-infra.json': 'pipelineInfra',
      'boot-sd.json': 'sd',
      'boot-log.json': 'log',
      'boot-alb.json': 'alb',
      'boot-ecr.json': 'ecr',
      'pipeline-boot.json': 'pipelineBoot',
      'pipeline-app.json': 'pipelineApp',
    };
    const paramFiles = [...files.keys()].filter((f) => f.startsWith('params/'));
    expect(paramFiles.length).toBe(2 * (3 + 3 * 6));
    for (const path of paramFiles) {
      const kind = byFile[path.split('/').pop()!];
      expect(kind, path).toBeDefined();
      expectFits(kind!, JSON.parse(files.get(path)!).Parameters, path);
    }
  });

  it('every pipeline action reads a template and a parameter file that synth writes', () => {
    for (const env of awsEnvironments(example)) {
      for (const service of example.services) {
        for (const kind of ['pipelineInfra', 'pipelineBoot'] as const) {
          const stages = ((templates[kind].Resources as Json).Pipeline as Json).Properties as Json;
          for (const stage of stages.Stages as Json[]) {
            for (const action of stage.Actions as Json[]) {
              const config = action.Configuration as Json;
              if (config.ActionMode === undefined) continue;
              const template = (config.TemplatePath as string).replace('InfraOut::', '');
              expect(files.has(template), template).toBe(true);
              const paramFile = ((config.TemplateConfiguration as Json)['Fn::Sub'] as string)
                .replace('InfraOut::', '')
                .replace('${EnvName}', env.name)
                .replace('${ServiceName}', service.name);
              expect(files.has(paramFile), paramFile).toBe(true);
            }
          }
        }
      }
    }
  });

  it('every variable the buildspec reads is set by its CodeBuild project or pipeline action', () => {
    const buildspec = files.get('ci/buildspec.yaml')!;
    const used = new Set(
      [...buildspec.matchAll(/\$\{?([A-Z][A-Z0-9_]*)/g)]
        .map((m) => m[1]!)
        .filter((v) => !v.startsWith('CODEBUILD_')),
    );
    const resources = templates.pipelineApp.Resources as Record<string, Json>;
    const provided = new Set<string>(['COMMIT_ID', 'IMAGE_URI']); // set by the build step itself
    for (const r of Object.values(resources)) {
      if (r.Type === 'AWS::CodeBuild::Project') {
        const env = (r.Properties as Json).Environment as Json;
        for (const v of env.EnvironmentVariables as Json[]) provided.add(v.Name as string);
      }
      if (r.Type === 'AWS::CodePipeline::Pipeline') {
        for (const stage of (r.Properties as Json).Stages as Json[]) {
          for (const action of stage.Actions as Json[]) {
            const vars = (action.Configuration as Json).EnvironmentVariables;
            if (typeof vars === 'string') for (const v of JSON.parse(vars)) provided.add(v.name);
          }
        }
      }
    }
    expect([...used].filter((v) => !provided.has(v))).toEqual([]);
  });

  it('the Infra repo pins @ecs-lanes/cli and carries the config', () => {
    expect(JSON.parse(files.get('package.json')!).dependencies).toEqual({ '@ecs-lanes/cli': '0.1.0' });
    expect(files.get('lanes.yaml')).toBe(EXAMPLE_TEXT);
    for (const path of Object.values(TEMPLATE_FILES)) expect(files.has(path), path).toBe(true);
  });

  it('the README gives the deploy commands, stack policies, termination protection and a lane run', () => {
    const readme = files.get('README.md')!;
    expect(readme).toContain('aws cloudformation deploy --region us-east-1');
    expect(readme).toContain('--capabilities CAPABILITY_NAMED_IAM');
    expect(readme).toContain(
      'set-stack-policy --region us-east-1 --stack-name boot-alb-orders-dev --stack-policy-body file://policies/alb-stack-policy.json',
    );
    expect(readme).toContain(
      'update-termination-protection --region us-east-1 --enable-termination-protection --stack-name boot-alb-orders-dev',
    );
    expect(readme).toContain('--variables name=lane,value=gray name=branch,value=feat-x');
    expect(readme).toContain('COMMIT_ID');
    expect(readme).toContain('CODEBUILD_CLONE_REF');
  });
});

describe('templates/ (committed synthesis of examples/lanes.yaml)', () => {
  it('equals a fresh synthesis', () => {
    const dir = join(ROOT, 'templates');
    const committed = new Map<string, string>();
    const walk = (d: string): void => {
      for (const name of readdirSync(d)) {
        const p = join(d, name);
        if (statSync(p).isDirectory()) walk(p);
        else committed.set(relative(dir, p), readFileSync(p, 'utf8'));
      }
    };
    walk(dir);
    const fix = 'templates/ is stale: run `npm run synth` and commit templates/';
    expect([...committed.keys()].sort(), fix).toEqual([...files.keys()].sort());
    for (const [path, content] of files)
      expect(committed.get(path), `${fix} (${path} differs)`).toBe(content);
  });
});

describe('the templates prebuilt into the package (dist/templates.json, what lanes synth writes)', () => {
  it('equal a fresh synthesis with the CloudFormation validator and cdk-nag', () => {
    const prebuilt = prebuiltTemplates();
    const fix = 'packages/cdk/dist/templates.json is missing or stale: run `npm run build`';
    expect(prebuilt, fix).toBeDefined();
    expect(prebuilt, fix).toEqual(JSON.parse(JSON.stringify(synthTemplates())));
  });

  it('give the same Infra repo as a fresh synthesis, without loading aws-cdk-lib', async () => {
    const repo = await infraRepo(example, { configText: EXAMPLE_TEXT });
    expect(repo.templates).toBe('prebuilt');
    expect([...repo.files.entries()]).toEqual([...files.entries()]);
  });
});

describe('long names', () => {
  const longService = 'payment-reconciliation-worker-ab'; // 32
  const longEnv = 'preprod123'; // 10
  const longText = EXAMPLE_TEXT.replace(/name: orders\b/, `name: ${longService}`)
    .replace(/dependsOn: \[orders\]/, `dependsOn: [${longService}]`)
    .replace(/name: dev\b/, `name: ${longEnv}`)
    .replace(/baselineLane: base/, 'baselineLane: baseline-lane-xy');
  const config = load(longText);

  it('every parameter value fits its template’s MaxLength and AllowedPattern', () => {
    const cases = passedParameters(config);
    for (const [kind, values, where] of cases) expectFits(kind, values, where);
    for (const lane of ['feat-login-flow1', 'a-b-c-d-e-f-g-h1']) {
      const env = awsEnvironments(config)[0]!;
      const service = config.services.find((s) => s.name === longService)!;
      const values = laneStackParameters({
        config,
        env,
        service,
        lane,
        imageUri: 'a.b/c:1',
        rulePriority: 1,
      });
      expectFits('lane', values, `lane ${lane}`);
      const n = laneNames(longService, longEnv, lane);
      expect(n.targetGroup.length).toBeLessThanOrEqual(32);
      expect(n.alternateTargetGroup.length).toBeLessThanOrEqual(32);
    }
  });

  it('the parameter files of a long-named config fit too', () => {
    const longFiles = synthInfraRepo(config);
    for (const [path, content] of longFiles) {
      if (!path.startsWith('params/')) continue;
      const parameters = JSON.parse(content).Parameters as Record<string, string>;
      for (const [k, v] of Object.entries(parameters)) {
        if (/Name$/.test(k) && v !== '') expect(v.length, `${path} ${k}`).toBeLessThanOrEqual(255);
      }
      if (path.endsWith('boot-alb.json')) {
        expect(parameters.LoadBalancerName!.length).toBeLessThanOrEqual(32);
        expect(parameters.DefaultTargetGroupName!.length).toBeLessThanOrEqual(32);
      }
    }
  });
});
