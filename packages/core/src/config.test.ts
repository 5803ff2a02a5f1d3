import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  formatConfigIssue,
  loadConfigOrThrow,
  parseConfig,
  servicesInStartOrder,
} from './config.js';

const example = readFileSync(new URL('../../../examples/lanes.yaml', import.meta.url), 'utf8');

function issuesOf(text: string) {
  const result = parseConfig(text, 'lanes.yaml');
  if (result.ok) throw new Error('expected problems');
  return result.issues;
}

const minimal = `
project: shop
infraRepo: { connectionArn: "arn:aws:codeconnections:us-east-1:111122223333:connection/abc-123", repository: acme/infra }
environments:
  - name: dev
    account: "111122223333"
    region: us-east-1
    vpcId: vpc-0a1b2c3d
    privateSubnets: [subnet-0a1b2c3d, subnet-0a1b2c3e]
    publicSubnets: [subnet-0a1b2c3f, subnet-0a1b2c40]
services:
  - name: orders
    appRepo: { repository: acme/orders }
    port: 8080
`;

describe('lanes.yaml', () => {
  it('accepts the example config: three services, two AWS environments and the local target', () => {
    const config = loadConfigOrThrow(example);
    expect(config.services.map((s) => s.name)).toEqual(['web', 'orders', 'inventory']);
    expect(config.environments.map((e) => [e.name, e.target])).toEqual([
      ['dev', 'aws'],
      ['prod', 'aws'],
      ['local', 'local'],
    ]);
  });

  it('applies the documented defaults', () => {
    const config = loadConfigOrThrow(minimal);
    const env = config.environments[0]!;
    expect(env).toMatchObject({
      target: 'aws',
      initCloudMap: true,
      initAlb: true,
      initLog: true,
      baselineLane: 'base',
    });
    expect(config.infraRepo.branch).toBe('main');
    expect(config.services[0]).toMatchObject({
      healthPath: '/healthz',
      cpu: 256,
      memory: 512,
      desiredCount: 1,
      modulePath: '.',
      blueGreen: { enabled: false },
      appRepo: { branch: 'main' },
      trace: { gate: true, path: '/' },
    });
  });

  it('turns the propagation gate off per service, and names a bad switch or path precisely', () => {
    const off = loadConfigOrThrow(minimal.replace('port: 8080', 'port: 8080\n    trace: { gate: false }'));
    expect(off.services[0]!.trace).toEqual({ gate: false, path: '/' });
    const issues = issuesOf(
      minimal.replace('port: 8080', 'port: 8080\n    trace: { gate: "no", path: api/orders, gates: true }'),
    ).map(formatConfigIssue);
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^lanes\.yaml:15:\d+ services\[0\]\.trace\.gate: expected boolean, got "no"/),
        expect.stringMatching(
          /services\[0\]\.trace\.path: expected an absolute path such as "\/" or "\/api\/orders", got "api\/orders"/,
        ),
        expect.stringMatching(/services\[0\]\.trace: unknown key "gates"; remove it or check the spelling/),
      ]),
    );
  });

  it('reports every problem at once, each with its line, its path, what was wrong and how to fix it', () => {
    const broken = minimal
      .replace('port: 8080', 'port: "eighty"\n    cpu: 300')
      .replace('region: us-east-1', 'region: Virginia')
      .replace('name: dev', 'name: dev-1');
    const issues = issuesOf(broken);
    const text = issues.map(formatConfigIssue);
    expect(text).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^lanes\.yaml:5:\d+ environments\[0\]\.name: "dev-1" is not a valid environment name: .*no hyphens/,
        ),
        expect.stringMatching(
          /^lanes\.yaml:7:\d+ environments\[0\]\.region: expected an AWS region such as "us-east-1", got "Virginia"/,
        ),
        expect.stringMatching(/^lanes\.yaml:14:\d+ services\[0\]\.port: expected number, got "eighty"/),
        expect.stringMatching(
          /^lanes\.yaml:15:\d+ services\[0\]\.cpu: 300 is not a Fargate CPU size; use one of 256, 512/,
        ),
      ]),
    );
    expect(issues.length).toBeGreaterThanOrEqual(3);
  });

  it('names a missing required field and says to add it', () => {
    const issues = issuesOf(minimal.replace('    port: 8080\n', ''));
    expect(issues.map(formatConfigIssue)).toContainEqual(
      expect.stringMatching(/services\[0\]\.port: is required \(expected number\); add it/),
    );
  });

  it('rejects unknown keys, naming them', () => {
    const issues = issuesOf(minimal.replace('port: 8080', 'port: 8080\n    prot: 1'));
    expect(issues[0]!.path).toBe('services[0]');
    expect(issues[0]!.message).toMatch(/unknown key "prot"; remove it or check the spelling/);
  });

  it('checks Fargate cpu/memory pairs', () => {
    const issues = issuesOf(minimal.replace('port: 8080', 'port: 8080\n    cpu: 256\n    memory: 4096'));
    expect(issues[0]).toMatchObject({ path: 'services[0].memory' });
    expect(issues[0]!.message).toMatch(/4096 MiB is not allowed with cpu 256; use one of 512, 1024, 2048/);
  });

  it('rejects duplicate services, unknown dependencies and cycles', () => {
    const twoServices = minimal.replace(
      'services:\n',
      `services:
  - name: web
    appRepo: { repository: acme/web }
    port: 80
    dependsOn: [orders, nope]
  - name: web
    appRepo: { repository: acme/web }
    port: 80
`,
    );
    const messages = issuesOf(twoServices).map(formatConfigIssue);
    expect(messages).toContainEqual(
      expect.stringMatching(/services\[1\]\.name: service "web" is declared twice/),
    );
    expect(messages).toContainEqual(
      expect.stringMatching(/services\[0\]\.dependsOn\[1\]: unknown service "nope"/),
    );

    const cyclic = minimal.replace('port: 8080', 'port: 8080\n    dependsOn: [orders]');
    expect(issuesOf(cyclic).map((i) => i.message)).toContainEqual(
      expect.stringMatching(/cannot depend on itself/),
    );
  });

  it('rejects an invalid baseline lane with the lane grammar reason', () => {
    const issues = issuesOf(
      minimal.replace('region: us-east-1', 'region: us-east-1\n    baselineLane: Main'),
    );
    expect(issues[0]).toMatchObject({ path: 'environments[0].baselineLane' });
  });

  it('rejects an unknown target', () => {
    const issues = issuesOf(minimal.replace('- name: dev', '- name: dev\n    target: gcp'));
    expect(issues[0]!.message).toMatch(/target must be "aws" or "local", got "gcp"/);
  });

  it('requires a run command and a local path for every service when a local environment exists', () => {
    const withLocal = minimal.replace('services:', '  - name: local\n    target: local\nservices:');
    const paths = issuesOf(withLocal).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['services[0].local', 'services[0].appRepo.localPath']));
  });

  it('reports YAML syntax errors with their position and never throws', () => {
    const issues = issuesOf('project: [unclosed\n');
    expect(issues[0]!.line).toBeGreaterThan(0);
    expect(issues[0]!.message).toMatch(/fix the YAML syntax/);
    expect(issuesOf('just a string')[0]!.message).toMatch(/expected a mapping/);
  });

  it('reports one YAML syntax error, the first, not the many the parser derives from it', () => {
    // One line indented a space too little: the parser reports several errors after it.
    const broken = example.replace('    port: 8080\n    cpu: 256', '    port: 8080\n   cpu: 256');
    const issues = issuesOf(broken);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.line).toBe(broken.split('\n').indexOf('   cpu: 256') + 1);
    expect(issues[0]!.message).toMatch(/fix the YAML syntax \(\d+ more YAML errors? after it/);
  });

  it('refuses a YAML alias bomb as a config error instead of expanding it', () => {
    // "Billion laughs": each level refers to the previous one ten times.
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (const [prev, name] of [
      ['a', 'b'],
      ['b', 'c'],
      ['c', 'd'],
      ['d', 'e'],
      ['e', 'f'],
    ])
      levels.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    const issues = issuesOf(`${levels.join('\n')}\nproject: *f\n`);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.message).toMatch(
      /aliases \(\*name\) expand to more than 100 nodes.*write the values out/,
    );
    expect(() => loadConfigOrThrow(`${levels.join('\n')}\n`)).toThrow(ConfigError);
  });

  it('throws a ConfigError carrying every issue from loadConfigOrThrow', () => {
    expect(() => loadConfigOrThrow('project: 1')).toThrow(ConfigError);
  });

  it('orders services so that each starts after the services it calls', () => {
    const config = loadConfigOrThrow(example);
    expect(servicesInStartOrder(config).map((s) => s.name)).toEqual(['inventory', 'orders', 'web']);
  });

  describe('adopting existing resources (init switches off)', () => {
    const alb = {
      loadBalancerArn:
        'arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/shared-alb/0123456789abcdef',
      dnsName: 'shared-alb-1234567890.us-east-1.elb.amazonaws.com',
      listenerArn:
        'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/shared-alb/0123456789abcdef/fedcba9876543210',
      defaultTargetGroupArn:
        'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/orders-base/00112233aabbccdd',
      securityGroupId: 'sg-0123456789abcdef0',
    };

    it("requires the namespace id when initCloudMap is false, and each service's ALB when initAlb is false", () => {
      const issues = issuesOf(
        minimal.replace(
          'region: us-east-1',
          'region: us-east-1\n    initCloudMap: false\n    initAlb: false',
        ),
      );
      expect(issues.map(formatConfigIssue)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            /environments\[0\]\.existingNamespaceId: initCloudMap is false, so give the id of the existing namespace dev\.local/,
          ),
          expect.stringMatching(
            /environments\[0\]\.existingAlbs: initAlb is false, so give service "orders" its existing load balancer under existingAlbs\.orders/,
          ),
        ]),
      );
    });

    it('accepts them when given, and rejects an ALB for an unknown service', () => {
      const adopted = minimal.replace(
        'region: us-east-1',
        `region: us-east-1\n    initCloudMap: false\n    existingNamespaceId: ns-abcdef0123456789\n    initAlb: false\n    existingAlbs:\n      orders: ${JSON.stringify(alb)}`,
      );
      const config = loadConfigOrThrow(adopted);
      expect(config.environments[0]).toMatchObject({
        existingNamespaceId: 'ns-abcdef0123456789',
        existingAlbs: { orders: alb },
      });
      const unknown = issuesOf(adopted.replace('      orders:', '      ordres:'));
      expect(unknown.map((i) => i.path)).toContain('environments[0].existingAlbs.ordres');
    });
  });

  it("rejects service names whose lane stacks would fall under another app pipeline's stack prefix", () => {
    const overlap = minimal.replace(
      'services:\n',
      'services:\n  - name: orders-dev\n    appRepo: { repository: acme/x }\n    port: 80\n',
    );
    const issues = issuesOf(overlap);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: 'services[0].name' });
    expect(issues[0]!.message).toMatch(
      /lane resources of "orders-dev" in dev \(orders-dev-dev-\*\) fall under the ECS services, alarms and target groups that the app pipeline of "orders" in dev may change/,
    );
  });
});

describe('lanes.yaml: lane policy, prices and mirrors', () => {
  it('gives every environment the default policy', () => {
    const env = loadConfigOrThrow(minimal).environments[0]!;
    expect(env.policy).toEqual({
      defaultTtl: '3d',
      maxTtl: '14d',
      gcSchedule: 'rate(1 hour)',
      listenerRuleQuota: 100,
      targetGroupQuota: 100,
    });
  });

  it('reads a policy and prices', () => {
    const text = minimal.replace(
      '    publicSubnets: [subnet-0a1b2c3f, subnet-0a1b2c40]\n',
      '    publicSubnets: [subnet-0a1b2c3f, subnet-0a1b2c40]\n    policy: { maxTtl: 7d, maxLanesPerService: 5, lanePatterns: ["feat-*"] }\n    prices: { vcpuHour: 0.05, gbHour: 0.005, source: "contract 2026" }\n',
    );
    const env = loadConfigOrThrow(text).environments[0]!;
    expect(env.policy).toMatchObject({ maxTtl: '7d', maxLanesPerService: 5, lanePatterns: ['feat-*'] });
    expect(env.target === 'aws' && env.prices?.vcpuHour).toBe(0.05);
  });

  it('points at the line of a bad policy value and says how to write it', () => {
    const text = minimal.replace(
      '    publicSubnets: [subnet-0a1b2c3f, subnet-0a1b2c40]\n',
      '    publicSubnets: [subnet-0a1b2c3f, subnet-0a1b2c40]\n    policy:\n      maxTtl: two weeks\n',
    );
    expect(issuesOf(text).map(formatConfigIssue)).toEqual([
      'lanes.yaml:12:15 environments[0].policy.maxTtl: "two weeks" is not a duration; write a whole number and a unit: m (minutes), h (hours), d (days) or w (weeks), for example 3d or 12h',
    ]);
  });
});
