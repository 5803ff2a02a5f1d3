import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { evaluateCondition, evaluateConditions, failedRuleAssertion, withConditions } from './conditions.js';
import { REAL_LANE_STACK_TEMPLATE } from './fixtures.js';
import { creationOrder, readTemplate } from './template.js';

const scope = (parameters: Record<string, string>, conditions: Record<string, unknown> = {}) => ({
  parameters,
  defaults: { Topic: '' },
  conditions,
});

describe('CloudFormation condition evaluator', () => {
  it('evaluates Fn::Equals, Fn::Not, Fn::And, Fn::Or over parameter values and defaults', () => {
    const s = scope({ A: 'true', B: 'false' });
    expect(evaluateCondition({ 'Fn::Equals': [{ Ref: 'A' }, 'true'] }, s)).toBe(true);
    expect(evaluateCondition({ 'Fn::Equals': [{ Ref: 'Topic' }, ''] }, s)).toBe(true);
    expect(evaluateCondition({ 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'B' }, 'true'] }] }, s)).toBe(true);
    const a = { 'Fn::Equals': [{ Ref: 'A' }, 'true'] };
    const b = { 'Fn::Equals': [{ Ref: 'B' }, 'true'] };
    expect(evaluateCondition({ 'Fn::And': [a, b] }, s)).toBe(false);
    expect(evaluateCondition({ 'Fn::Or': [a, b] }, s)).toBe(true);
    expect(evaluateCondition({ 'Fn::Equals': [1, '1'] }, s)).toBe(true);
  });

  it('follows named conditions, and refuses unknown names, cycles, unknown functions and missing values', () => {
    const conditions = {
      IsA: { 'Fn::Equals': [{ Ref: 'A' }, 'true'] },
      NotA: { 'Fn::Not': [{ Condition: 'IsA' }] },
      Loop: { 'Fn::Not': [{ Condition: 'Loop' }] },
    };
    const s = scope({ A: 'true' }, conditions);
    expect(evaluateCondition({ Condition: 'NotA' }, s)).toBe(false);
    expect(() => evaluateCondition({ Condition: 'Nope' }, s)).toThrow(/not declared/);
    expect(() => evaluateCondition({ Condition: 'Loop' }, s)).toThrow(/circular/);
    expect(() => evaluateCondition({ 'Fn::Contains': [['a'], 'a'] }, s)).toThrow(/unsupported function/);
    expect(() => evaluateCondition({ 'Fn::Equals': [{ Ref: 'Missing' }, 'x'] }, s)).toThrow(/Missing/);
    expect(() => evaluateCondition({ 'Fn::Not': [] }, s)).toThrow(/takes 1/);
  });

  it('keeps only the resources whose condition holds and drops dependencies (inside Fn::If) on skipped ones', () => {
    const info = readTemplate(
      JSON.stringify({
        Parameters: { On: { Type: 'String', Default: 'no' } },
        Conditions: { IsOn: { 'Fn::Equals': [{ Ref: 'On' }, 'yes'] } },
        Resources: {
          Maybe: { Type: 'X::Y::Z', Condition: 'IsOn' },
          Always: {
            Type: 'X::Y::Z',
            Properties: { P: { 'Fn::If': ['IsOn', { Ref: 'Maybe' }, { Ref: 'AWS::NoValue' }] } },
          },
        },
      }),
    );
    const off = withConditions(info, {});
    expect([...off.resources.keys()]).toEqual(['Always']);
    expect(off.resources.get('Always')?.dependsOn).toEqual([]);
    // The parameter behind the Fn::If condition is one the resource depends on (its change updates it).
    expect(off.resources.get('Always')?.parameters).toEqual(['On']);
    expect(creationOrder(withConditions(info, { On: 'yes' }))).toEqual(['Maybe', 'Always']);
  });

  it('refuses a DependsOn on a resource its condition leaves out, as CloudFormation does', () => {
    const info = readTemplate(
      JSON.stringify({
        Parameters: { On: { Type: 'String', Default: 'no' } },
        Conditions: { IsOn: { 'Fn::Equals': [{ Ref: 'On' }, 'yes'] } },
        Resources: {
          Maybe: { Type: 'X::Y::Z', Condition: 'IsOn' },
          Always: { Type: 'X::Y::Z', DependsOn: 'Maybe' },
        },
      }),
    );
    expect(() => withConditions(info, {})).toThrow(
      'Template format error: Unresolved resource dependencies [Maybe] in the Resources block of the template',
    );
    expect([...withConditions(info, { On: 'yes' }).resources.keys()]).toEqual(['Maybe', 'Always']);
  });
});

describe('the real lane stack template (templates/ci/service-stack.yaml)', () => {
  const info = readTemplate(readFileSync(REAL_LANE_STACK_TEMPLATE, 'utf8'));
  const params = (isBaseline: boolean, blueGreen: boolean, extra: Record<string, string> = {}) => ({
    IsBaseline: String(isBaseline),
    BlueGreen: String(blueGreen),
    ServiceConnect: 'false',
    RulePriority: isBaseline ? '0' : '7',
    TestRulePriority: blueGreen && !isBaseline ? '8' : '0',
    ...extra,
  });
  const rulesAndGroups = (p: Record<string, string>) =>
    [...withConditions(info, p).resources.values()]
      .filter((r) => r.type.startsWith('AWS::ElasticLoadBalancingV2::'))
      .map((r) => r.logicalId)
      .sort();

  it('records resource conditions and evaluates the Conditions section (AlarmTopicArn by its default)', () => {
    expect(info.resources.get('LaneRule')?.condition).toBe('UseRollingLane');
    expect(Object.fromEntries(evaluateConditions(info, params(false, true)))).toEqual({
      IsBaselineLane: false,
      IsRoutedLane: true,
      UseBlueGreen: true,
      UseRollingLane: false,
      UseServiceConnect: false,
      HasAlarmTopic: false,
      LaneTargetGroupLive: false,
      AlternateTargetGroupLive: false,
    });
  });

  it('baseline: no target group, no rule; rolling: one of each; blue/green: two of each, never both kinds', () => {
    expect(rulesAndGroups(params(true, false))).toEqual([]);
    expect(rulesAndGroups(params(true, true))).toEqual([]);
    expect(rulesAndGroups(params(false, false))).toEqual(['LaneRule', 'LaneTargetGroup']);
    expect(rulesAndGroups(params(false, true))).toEqual([
      'AlternateTargetGroup',
      'BlueGreenProductionRule',
      'BlueGreenTestRule',
      'LaneTargetGroup',
    ]);
  });

  it('its Rules refuse a blue/green lane without a distinct TestRulePriority', () => {
    expect(failedRuleAssertion(info, params(false, true))).toBeUndefined();
    expect(failedRuleAssertion(info, params(false, true, { TestRulePriority: '0' }))).toMatch(
      /needs its allocated TestRulePriority/,
    );
    expect(failedRuleAssertion(info, params(false, true, { TestRulePriority: '7' }))).toMatch(/must differ/);
    expect(failedRuleAssertion(info, params(false, false, { RulePriority: '0' }))).toMatch(/RulePriority/);
    expect(failedRuleAssertion(info, params(true, true))).toBeUndefined();
  });
});
