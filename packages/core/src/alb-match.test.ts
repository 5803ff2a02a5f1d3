import { describe, expect, it } from 'vitest';
import {
  ALB_EVALUATION_MODELS,
  ALB_LIMITS,
  type AlbHttpHeaderCondition,
  albRuleMatches,
  checkAlbRegex,
  checkAlbRule,
  compileLaneRules,
  InvalidAlbRuleError,
  laneMatchRegex,
  laneRuleConditions,
  TRACESTATE_HEADER_NAME,
} from './alb-match.js';
import { InvalidLaneNameError, MAX_LANE_LENGTH } from './lane.js';

function headerCondition(
  config: Partial<AlbHttpHeaderCondition['HttpHeaderConfig']>,
  name = 'x-test',
): AlbHttpHeaderCondition {
  return { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: name, ...config } };
}

describe('laneMatchRegex', () => {
  it('spells every letter in both cases and anchors the member between commas', () => {
    expect(laneMatchRegex('gray')).toBe(
      '^(.*,)?[ \\t]*[cC][tT][xX]=[lL][aA][nN][eE]:[gG][rR][aA][yY][ \\t]*(,.*)?$',
    );
  });

  it('keeps digits and hyphens literal', () => {
    expect(laneMatchRegex('feat-2')).toContain(':[fF][eE][aA][tT]-2[ ');
  });

  it('fits in 128 characters for the longest lane of letters only', () => {
    const longest = 'a'.repeat(MAX_LANE_LENGTH);
    expect(laneMatchRegex(longest).length).toBeLessThanOrEqual(ALB_LIMITS.maxValueLength);
    expect(laneMatchRegex(longest).length).toBe(120);
  });

  it.each(['', 'Gray', 'gray--x', 'default', 'a'.repeat(MAX_LANE_LENGTH + 1)])(
    'refuses the invalid lane %j',
    (lane) => {
      expect(() => laneMatchRegex(lane)).toThrow(InvalidLaneNameError);
    },
  );

  it('passes checkAlbRegex', () => {
    expect(checkAlbRegex(laneMatchRegex('feat-login'))).toEqual([]);
  });
});

describe('laneRuleConditions', () => {
  it('is one http-header condition on tracestate with one regex, in the ELBv2 / CloudFormation shape', () => {
    expect(laneRuleConditions('gray')).toEqual([
      {
        Field: 'http-header',
        HttpHeaderConfig: { HttpHeaderName: TRACESTATE_HEADER_NAME, RegexValues: [laneMatchRegex('gray')] },
      },
    ]);
  });

  it('passes checkAlbRule', () => {
    expect(checkAlbRule(laneRuleConditions('a'.repeat(MAX_LANE_LENGTH)))).toEqual([]);
  });
});

describe.each(ALB_EVALUATION_MODELS)('the lane rule for gray under %o', (model) => {
  const conditions = laneRuleConditions('gray');
  const matches = (tracestate: string | string[] | undefined, name = 'tracestate') =>
    albRuleMatches(conditions, { [name]: tracestate }, model);

  it.each([
    'ctx=lane:gray',
    'congo=t61rcWkgMzE,ctx=lane:gray',
    'ctx=lane:gray,rojo=00f067aa0ba902b7',
    'congo=t61rcWkgMzE,ctx=lane:gray,rojo=00f067aa0ba902b7',
    'a=1 , ctx=lane:gray , b=2',
    'a=1,\tctx=lane:gray\t,b=2',
    ' ctx=lane:gray ',
    'a=1,,ctx=lane:gray,,',
    'CTX=LANE:GRAY',
    'Ctx=Lane:Gray',
    'xctx=lane:gray,ctx=lane:gray',
  ])('matches %j', (header) => {
    expect(matches(header)).toBe(true);
  });

  it.each([
    'ctx=lane:gray2',
    'ctx=lane:gra',
    'ctx=lane:grayx,a=1',
    'ctx=lane:gray-x',
    'xctx=lane:gray',
    'a@ctx=lane:gray',
    'ctx2=lane:gray',
    'ctx=xlane:gray',
    'ctx=lane: gray',
    'ctx =lane:gray',
    'ctx=lane:gray=1',
    'a=ctx=lane:gray',
    'congo=lane:gray',
    '',
  ])('does not match %j', (header) => {
    expect(matches(header)).toBe(false);
  });

  it('does not match a request without tracestate', () => {
    expect(albRuleMatches(conditions, {}, model)).toBe(false);
    expect(matches(undefined)).toBe(false);
  });

  it('compares the header name case-insensitively', () => {
    expect(matches('ctx=lane:gray', 'TraceState')).toBe(true);
  });

  it('searches several occurrences of the header in order', () => {
    expect(matches(['a=1', 'ctx=lane:gray'])).toBe(true);
    expect(matches(['a=1', 'ctx=lane:gray2'])).toBe(false);
  });
});

describe('albRuleMatches (the model)', () => {
  it('compares wildcard Values with the whole value, case-insensitively, under every model', () => {
    const conditions = [headerCondition({ Values: ['ab*c?'] })];
    for (const model of ALB_EVALUATION_MODELS) {
      expect(albRuleMatches(conditions, { 'x-test': 'AB-xyz-cD' }, model)).toBe(true);
      expect(albRuleMatches(conditions, { 'x-test': 'zab-c1' }, model)).toBe(false);
      expect(albRuleMatches(conditions, { 'x-test': 'abc' }, model)).toBe(false);
    }
  });

  it('treats regex metacharacters in Values literally', () => {
    const conditions = [headerCondition({ Values: ['a.b'] })];
    expect(albRuleMatches(conditions, { 'x-test': 'a.b' })).toBe(true);
    expect(albRuleMatches(conditions, { 'x-test': 'axb' })).toBe(false);
  });

  it('distinguishes the four models for a regex that is neither anchored nor caseless', () => {
    const conditions = [headerCondition({ RegexValues: ['ab'] })];
    const results = ALB_EVALUATION_MODELS.map((model) =>
      albRuleMatches(conditions, { 'x-test': 'xAB' }, model),
    );
    expect(results).toEqual(ALB_EVALUATION_MODELS.map((model) => !model.anchored && !model.caseSensitive));
  });

  it('requires every condition to match', () => {
    const conditions = [headerCondition({ Values: ['a'] }), headerCondition({ Values: ['b'] }, 'x-other')];
    expect(albRuleMatches(conditions, { 'x-test': 'a', 'x-other': 'b' })).toBe(true);
    expect(albRuleMatches(conditions, { 'x-test': 'a', 'x-other': 'c' })).toBe(false);
  });

  it('matches a condition when any of its values matches', () => {
    const conditions = [headerCondition({ Values: ['a', 'b'], RegexValues: ['^c$'] })];
    expect(albRuleMatches(conditions, { 'x-test': 'c' })).toBe(true);
  });

  it('never matches without conditions', () => {
    expect(albRuleMatches([], { 'x-test': 'a' })).toBe(false);
  });
});

describe('compileLaneRules', () => {
  const route = compileLaneRules([
    { lane: 'gray', conditions: laneRuleConditions('gray') },
    { lane: 'gray2', conditions: laneRuleConditions('gray2') },
    { lane: 'feat-login', conditions: laneRuleConditions('feat-login') },
  ]);

  it.each([
    ['ctx=lane:gray', 'gray'],
    ['a=1, ctx=lane:GRAY2', 'gray2'],
    ['ctx=lane:feat-login,b=2', 'feat-login'],
    ['ctx=lane:gra', undefined],
    ['xctx=lane:gray', undefined],
  ])('routes %j to %j', (tracestate, lane) => {
    expect(route({ tracestate })).toBe(lane);
  });

  it('returns the lane of the first matching rule, in the given (priority) order', () => {
    const both = [headerCondition({ Values: ['*'] }, 'tracestate')];
    const first = compileLaneRules([
      { lane: 'one', conditions: both },
      { lane: 'two', conditions: both },
    ]);
    expect(first({ tracestate: 'x' })).toBe('one');
  });

  it('reads header names in any case, several occurrences, and Node-style arrays', () => {
    expect(route({ TRACESTATE: 'ctx=lane:gray' })).toBe('gray');
    expect(route({ tracestate: ['a=1', 'ctx=lane:gray2'] })).toBe('gray2');
    expect(route({ tracestate: 'a=1', TraceState: 'ctx=lane:feat-login' })).toBe('feat-login');
    expect(route({ host: 'x' })).toBeUndefined();
  });

  it('does not keep state from one request to the next', () => {
    expect(route({ tracestate: 'ctx=lane:gray' })).toBe('gray');
    expect(route({})).toBeUndefined();
  });

  it('routes nothing with no rules', () => {
    expect(compileLaneRules([])({ tracestate: 'ctx=lane:gray' })).toBeUndefined();
  });

  it('refuses a rule the ALB would refuse', () => {
    const tooMany = [headerCondition({ Values: ['a', 'b', 'c', 'd'] })];
    expect(() => compileLaneRules([{ lane: 'gray', conditions: tooMany }])).toThrow(InvalidAlbRuleError);
  });
});

describe('checkAlbRegex', () => {
  it.each([['^a(b|c)*[x-z]?\\d{2,3}$'], ['[(?=]'], ['\\(?=x'], ['[a+]+'], ['a{2}']])(
    'accepts %j',
    (regex) => {
      expect(checkAlbRegex(regex)).toEqual([]);
    },
  );

  it.each([
    ['a(?=b)', 'lookahead'],
    ['a(?!b)', 'lookahead'],
    ['(?<=a)b', 'lookbehind'],
    ['(?<!a)b', 'lookbehind'],
    ['(a)\\1', 'backreferences'],
    ['(?<n>a)\\k<n>', 'backreferences'],
    ['(?>a+)b', 'atomic groups'],
    ['a*+', 'possessive quantifiers'],
    ['a++', 'possessive quantifiers'],
    ['a?+', 'possessive quantifiers'],
    ['a{1,2}+', 'possessive quantifiers'],
    ['(a)(?1)', 'subroutines'],
    ['(?&name)', 'subroutines'],
    ['(?R)', 'recursion'],
    ['\\p{L}', 'Unicode character classes'],
    ['[\\p{Lu}]', 'Unicode character classes'],
    ['a'.repeat(129), '129 characters'],
    ['é', 'printable ASCII'],
    ['(', 'not valid'],
    ['', 'empty'],
  ])('reports %j (%s)', (regex, problem) => {
    const problems = checkAlbRegex(regex);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join('\n')).toContain(problem);
  });
});

describe('checkAlbRule', () => {
  it('accepts up to 3 evaluations per condition and 5 per rule', () => {
    expect(
      checkAlbRule([
        headerCondition({ Values: ['a', 'b', 'c'] }),
        headerCondition({ RegexValues: ['x', 'y'] }),
      ]),
    ).toEqual([]);
  });

  it.each<[string, AlbHttpHeaderCondition[], string]>([
    ['no conditions', [], 'no conditions'],
    ['4 values in a condition', [headerCondition({ Values: ['a', 'b', 'c', 'd'] })], '3 per condition'],
    [
      '6 values in a rule',
      [headerCondition({ Values: ['a', 'b', 'c'] }), headerCondition({ RegexValues: ['x', 'y', 'z'] })],
      '5 per rule',
    ],
    ['6 wildcards in a rule', [headerCondition({ Values: ['a*?*', 'b*?*'] })], '5 per rule'],
    ['a value of 129 characters', [headerCondition({ Values: ['v'.repeat(129)] })], '129 characters'],
    ['a bad regex', [headerCondition({ RegexValues: ['a(?=b)'] })], 'lookahead'],
    ['no values', [headerCondition({})], 'no Values and no RegexValues'],
    ['a header name with a space', [headerCondition({ Values: ['a'] }, 'x test')], 'RFC 7230 token'],
    ['a header name of 41 characters', [headerCondition({ Values: ['a'] }, 'x'.repeat(41))], '41 characters'],
    ['the host header', [headerCondition({ Values: ['a'] }, 'Host')], 'host-header condition'],
  ])('reports %s', (_, conditions, problem) => {
    const problems = checkAlbRule(conditions);
    expect(problems.join('\n')).toContain(problem);
  });
});
