/**
 * Service Connect names (ECS limits): `discoveryName` at most 64 characters, each label of a client alias
 * `dnsName` at most 63, for every valid service, environment and lane.
 */
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
  checkAwsName,
  checkServiceConnectDnsName,
  laneNames,
  SERVICE_CONNECT_NAME_RULES,
  serviceConnectNames,
} from './naming.js';

const word = (max: number) => fc.stringMatching(new RegExp(`^[a-z][a-z0-9]{0,${max - 1}}$`));
const hyphenated = (max: number) =>
  fc
    .array(word(4), { minLength: 1, maxLength: 8 })
    .map((parts) => parts.join('-').slice(0, max).replace(/-+$/, ''));
const service = fc
  .oneof(word(MAX_SERVICE_NAME_LENGTH), hyphenated(MAX_SERVICE_NAME_LENGTH))
  .filter((s) => checkServiceName(s) === undefined);
const env = word(MAX_ENV_NAME_LENGTH).filter((e) => checkEnvironmentName(e) === undefined);
const lane = fc.oneof(word(MAX_LANE_LENGTH), hyphenated(MAX_LANE_LENGTH)).filter((l) => isValidLaneName(l));

describe('Service Connect names', () => {
  it('meet discoveryName (64) and dnsName label (63) limits for every valid input, baseline or not', () => {
    fc.assert(
      fc.property(service, env, lane, fc.boolean(), (s, e, l, baseline) => {
        const names = serviceConnectNames(s, e, l, baseline);
        expect(checkAwsName(SERVICE_CONNECT_NAME_RULES.discoveryName, names.discoveryName)).toBeUndefined();
        expect(checkServiceConnectDnsName(names.dnsName)).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });

  it('are distinct for distinct lanes of one service', () => {
    fc.assert(
      fc.property(service, env, lane, lane, (s, e, a, b) => {
        fc.pre(a !== b);
        const x = serviceConnectNames(s, e, a, false);
        const y = serviceConnectNames(s, e, b, false);
        expect(x.discoveryName).not.toBe(y.discoveryName);
        expect(x.dnsName).not.toBe(y.dnsName);
      }),
      { numRuns: 300 },
    );
  });

  it('stay readable when short: {service}-{env}-{lane}; the baseline is dialled by the service name', () => {
    expect(serviceConnectNames('orders', 'dev', 'gray', false)).toEqual({
      discoveryName: 'orders-dev-gray',
      dnsName: 'orders-dev-gray',
    });
    expect(serviceConnectNames('orders', 'dev', 'base', true).dnsName).toBe('orders');
  });

  it('are shortened where the ECS service name breaks the limits (32-character service, hashed 16-character lane)', () => {
    const s = 'x'.repeat(MAX_SERVICE_NAME_LENGTH);
    const l = 'feat-abcdefghijk';
    expect(l).toHaveLength(MAX_LANE_LENGTH);
    // The hashed ECS service name (what the template used before) reaches 70 characters.
    expect(laneNames(s, 'production', l).ecsService.length).toBeGreaterThan(64);
    const names = serviceConnectNames(s, 'production', l, false);
    expect(names.discoveryName.length).toBeLessThanOrEqual(64);
    expect(names.dnsName.length).toBeLessThanOrEqual(63);
  });

  it('a dnsName is refused when one label is longer than 63 or the name longer than 127', () => {
    expect(checkServiceConnectDnsName(`${'a'.repeat(63)}.local`)).toBeUndefined();
    expect(checkServiceConnectDnsName(`${'a'.repeat(64)}.local`)).toMatch(/64 characters; at most 63/);
    expect(checkServiceConnectDnsName(Array.from({ length: 4 }, () => 'a'.repeat(40)).join('.'))).toMatch(
      /at most 127/,
    );
  });
});
