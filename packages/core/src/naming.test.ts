import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkEnvironmentName,
  checkServiceName,
  MAX_ENV_NAME_LENGTH,
  MAX_SERVICE_NAME_LENGTH,
} from './config.js';
import { isValidLaneName, MAX_LANE_LENGTH } from './lane.js';
import {
  AWS_NAME_RULES,
  type AwsNameRule,
  checkAwsName,
  EXPORT_KEYS,
  environmentNames,
  exportName,
  laneFromEcsServiceName,
  laneNames,
  laneTargetGroupNamePrefix,
  serviceNames,
} from './naming.js';

// ---- generators of valid names, biased towards long and near-colliding ones ----
const token = (min: number, max: number) => fc.stringMatching(new RegExp(`^[a-z][a-z0-9]{${min},${max}}$`));
const hyphenated = (maxLen: number) =>
  fc
    .array(fc.oneof(token(0, 3), fc.constantFrom('a', 'b', 'dev', 'gray', 'x')), {
      minLength: 1,
      maxLength: 6,
    })
    .map((parts) => parts.join('-').slice(0, maxLen).replace(/-+$/, ''));
const service = fc
  .oneof(
    hyphenated(MAX_SERVICE_NAME_LENGTH),
    token(0, MAX_SERVICE_NAME_LENGTH - 1),
    fc.constantFrom('a', 'a-b', 'orders', 'x'.repeat(MAX_SERVICE_NAME_LENGTH)),
  )
  .filter((s) => checkServiceName(s) === undefined);
const env = fc
  .oneof(token(0, MAX_ENV_NAME_LENGTH - 1), fc.constantFrom('dev', 'b', 'c', 'a'))
  .filter((e) => checkEnvironmentName(e) === undefined);
const lane = fc
  .oneof(
    hyphenated(MAX_LANE_LENGTH),
    token(0, MAX_LANE_LENGTH - 1),
    fc.constantFrom('base', 'gray', 'c-d', 'b-c', 'x'.repeat(MAX_LANE_LENGTH)),
  )
  .filter(isValidLaneName);

function expectValid(rule: AwsNameRule, name: string) {
  expect(checkAwsName(rule, name), name).toBeUndefined();
}

function allNames(s: string, e: string, l: string): [AwsNameRule, string, string][] {
  const env = environmentNames(e);
  const svc = serviceNames(s, e);
  const ln = laneNames(s, e, l);
  return [
    [AWS_NAME_RULES.stack, 'networkStack', env.networkStack],
    [AWS_NAME_RULES.stack, 'namespaceStack', env.namespaceStack],
    [AWS_NAME_RULES.pipeline, 'infraPipeline', env.pipeline],
    [AWS_NAME_RULES.stack, 'sdStack', svc.sdStack],
    [AWS_NAME_RULES.stack, 'logStack', svc.logStack],
    [AWS_NAME_RULES.stack, 'albStack', svc.albStack],
    [AWS_NAME_RULES.stack, 'ecrStack', svc.ecrStack],
    [AWS_NAME_RULES.pipeline, 'bootstrapPipeline', svc.bootstrapPipeline],
    [AWS_NAME_RULES.pipeline, 'appPipeline', svc.appPipeline],
    [AWS_NAME_RULES.codebuild, 'buildProject', svc.buildProject],
    [AWS_NAME_RULES.elb, 'alb', svc.alb],
    [AWS_NAME_RULES.elb, 'defaultTargetGroup', svc.defaultTargetGroup],
    [AWS_NAME_RULES.logGroup, 'logGroup', svc.logGroup],
    [AWS_NAME_RULES.cloudMapService, 'cloudMapService', svc.cloudMapService],
    [AWS_NAME_RULES.ecr, 'ecrRepository', svc.ecrRepository],
    [AWS_NAME_RULES.stack, 'laneStack', ln.stack],
    [AWS_NAME_RULES.ecs, 'taskFamily', ln.taskFamily],
    [AWS_NAME_RULES.ecs, 'ecsService', ln.ecsService],
    [AWS_NAME_RULES.elb, 'targetGroup', ln.targetGroup],
    [AWS_NAME_RULES.elb, 'alternateTargetGroup', ln.alternateTargetGroup],
    [AWS_NAME_RULES.alarm, 'rule', ln.rule],
    [AWS_NAME_RULES.alarm, 'alarmPrefix', ln.alarmPrefix],
    [AWS_NAME_RULES.iamRole, 'taskRole', ln.taskRole],
    [AWS_NAME_RULES.iamRole, 'executionRole', ln.executionRole],
  ];
}

describe('naming', () => {
  it('reads like the layer table of ARCHITECTURE.md when names are short', () => {
    expect(environmentNames('dev')).toMatchObject({
      networkStack: 'infra-network-dev',
      namespaceStack: 'infra-namespace-dev',
      namespace: 'dev.local',
      pipeline: 'infra-dev',
    });
    expect(serviceNames('orders', 'dev')).toMatchObject({
      sdStack: 'boot-sd-orders-dev',
      logStack: 'boot-log-orders-dev',
      albStack: 'boot-alb-orders-dev',
      bootstrapPipeline: 'bootstrap-orders-dev',
      appPipeline: 'orders-dev',
      alb: 'orders-dev-alb',
      defaultTargetGroup: 'orders-dev-default-tg',
      logGroup: '/ecs/dev/orders',
      cloudMapService: 'orders',
    });
    expect(laneNames('orders', 'dev', 'gray')).toMatchObject({
      stack: 'app-orders--dev-gray',
      taskFamily: 'orders-gray-dev-task',
      ecsService: 'orders-dev-gray',
      targetGroup: 'orders-dev-gray-tg',
      rule: 'orders-dev-gray-rule',
      logStreamPrefix: 'gray',
    });
  });

  it('shortens a name over the 32-character ALB limit with a hash, keeping a readable prefix', () => {
    const long = serviceNames('payment-reconciliation-worker', 'staging');
    expect(long.alb.length).toBeLessThanOrEqual(32);
    expect(long.alb).toMatch(/^payment-reconcilia-0[a-z2-7]{8}-alb$/);
    expect(long.albStack).toBe('boot-alb-payment-reconciliation-worker-staging');
  });

  it('hashes names of lanes with a hyphen, so that a-b/c/d and a/b/c-d never meet', () => {
    expect(laneNames('a-b', 'c', 'd').ecsService).toBe('a-b-c-d');
    expect(laneNames('a', 'b', 'c-d').ecsService).toMatch(/^a-b-c-d-0[a-z2-7]{8}$/);
  });

  it('never starts an ALB or target-group name with "internal-"', () => {
    // "internal" is not a valid service name, but a hashed prefix could still begin with it.
    expect(checkServiceName('internal-api')).toMatch(/reserved/);
    expect(serviceNames('internalx', 'dev').alb).toBe('internalx-dev-alb');
  });

  it('reads the lane back from an ECS service name, readable or hashed', () => {
    for (const l of ['gray', 'feat-login', 'base']) {
      expect(laneFromEcsServiceName('orders', 'dev', laneNames('orders', 'dev', l).ecsService)).toBe(l);
    }
    expect(laneFromEcsServiceName('orders', 'dev', 'orders-prod-gray')).toBeUndefined();
    expect(laneFromEcsServiceName('orders', 'dev', 'orders-dev-gray-0aaaaaaaa')).toBeUndefined();
    expect(laneFromEcsServiceName('orders', 'dev', 'orders-dev-gray--aaaaaaaa')).toBeUndefined();
  });

  it('builds export names as {stack}:{key}', () => {
    expect(exportName('infra-network-dev', 'VpcId')).toBe('infra-network-dev:VpcId');
    expect(EXPORT_KEYS.alb).toContain('ListenerArn');
  });

  it('property: every name meets its AWS rule for every valid input', () => {
    fc.assert(
      fc.property(service, env, lane, (s, e, l) => {
        for (const [rule, , name] of allNames(s, e, l)) expectValid(rule, name);
        for (const key of EXPORT_KEYS.alb)
          expectValid(AWS_NAME_RULES.export, exportName(serviceNames(s, e).albStack, key));
      }),
      { numRuns: 1500 },
    );
  });

  it('property: no name of any kind contains "--" (another ELBv2 implementation and the console refuse it), but the lane stack', () => {
    fc.assert(
      fc.property(service, env, lane, (s, e, l) => {
        for (const [, kind, name] of allNames(s, e, l)) {
          // The lane stack's `--` is the deliberate separator of its IAM prefix `app-{service}--{env}-`
          // (LANE_STACK_SERVICE_SEPARATOR); CloudFormation stack names allow it. Only there, and only once.
          if (kind === 'laneStack') expect(name.split('--'), kind).toHaveLength(2);
          else expect(name, kind).not.toContain('--');
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('property: a hashed name never equals a readable one (its last segment starts with a digit, a readable one never does)', () => {
    fc.assert(
      fc.property(service, env, lane, (s, e, l) => {
        const readableLane = !l.includes('-');
        const ln = laneNames(s, e, l);
        // The segment before the suffix is the lane (readable) or the hash (hashed).
        const last = ln.ecsService.split('-').pop()!;
        expect(/^[0-9]/.test(last), ln.ecsService).toBe(!readableLane);
      }),
      { numRuns: 1000 },
    );
  });

  it('property: distinct (service, env, lane) never give one name, of any kind', () => {
    fc.assert(
      fc.property(service, env, lane, service, env, lane, (s1, e1, l1, s2, e2, l2) => {
        const a = allNames(s1, e1, l1);
        const b = allNames(s2, e2, l2);
        for (let i = 0; i < a.length; i++) {
          const [, kind, n1] = a[i]!;
          const n2 = b[i]![2];
          // A name may be shared only by inputs that agree on everything it depends on.
          const dependsOnLane = i >= 15;
          const dependsOnService = i >= 3;
          // Cloud Map service names are scoped by their namespace ({env}.local), so only env-mates must differ.
          const scopedToEnv = kind === 'cloudMapService';
          if (scopedToEnv && e1 !== e2) continue;
          const same = e1 === e2 && (!dependsOnService || s1 === s2) && (!dependsOnLane || l1 === l2);
          if (!same) expect(n1, `${kind}: ${s1}/${e1}/${l1} vs ${s2}/${e2}/${l2}`).not.toBe(n2);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('property: near-colliding inputs (the same characters split differently) give distinct names', () => {
    const words = fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { minLength: 3, maxLength: 6 });
    fc.assert(
      fc.property(words, fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), (ws, i, j) => {
        const cut1 = Math.min(i, ws.length - 2);
        const cut2 = Math.min(cut1 + j, ws.length - 1);
        const s = ws.slice(0, cut1).join('-');
        const e = ws[cut1]!;
        const l = ws.slice(cut1 + 1).join('-');
        const s2 = ws.slice(0, cut2 - 1).join('-');
        const e2 = ws[cut2 - 1]!;
        const l2 = ws.slice(cut2).join('-');
        fc.pre(s !== s2 || e !== e2 || l !== l2);
        fc.pre([s, s2].every((x) => checkServiceName(x) === undefined) && [l, l2].every(isValidLaneName));
        const n1 = laneNames(s, e, l);
        const n2 = laneNames(s2, e2, l2);
        expect(n1.ecsService).not.toBe(n2.ecsService);
        expect(n1.targetGroup).not.toBe(n2.targetGroup);
        expect(n1.stack).not.toBe(n2.stack);
        expect(n1.taskFamily).not.toBe(n2.taskFamily);
      }),
      { numRuns: 1000 },
    );
  });

  it('property: the lane is recoverable from every ECS service name', () => {
    fc.assert(
      fc.property(service, env, lane, (s, e, l) => {
        expect(laneFromEcsServiceName(s, e, laneNames(s, e, l).ecsService)).toBe(l);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('laneTargetGroupNamePrefix', () => {
  it('starts every lane and alternate target group name of the service, readable or hashed, and no other service-env', () => {
    const services = ['a', 'orders', 'a-very-long-service-name-of-32ch', 'checkout-api'];
    const envs = ['b', 'dev', 'production'];
    const lanes = ['base', 'gray', 'feat-login', 'x'.repeat(16)];
    for (const service of services) {
      for (const env of envs) {
        const prefix = laneTargetGroupNamePrefix(service, env);
        for (const lane of lanes) {
          const names = laneNames(service, env, lane);
          expect(names.targetGroup.startsWith(prefix), names.targetGroup).toBe(true);
          expect(names.alternateTargetGroup.startsWith(prefix), names.alternateTargetGroup).toBe(true);
        }
      }
    }
    expect(laneTargetGroupNamePrefix('orders', 'dev')).toBe('orders-dev-');
    // Different services in one environment never share a readable prefix.
    expect(
      laneTargetGroupNamePrefix('web', 'dev').startsWith(laneTargetGroupNamePrefix('orders', 'dev')),
    ).toBe(false);
  });
});
