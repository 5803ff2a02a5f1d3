/**
 * The ALB listener-rule condition that sends a request to a lane, and a model of how the ALB evaluates it.
 *
 * A request is in lane `gray` when its `tracestate` holds the list-member `ctx=lane:gray` (see `tracestate.ts`).
 * The listener rule of lane `gray` must match exactly that member, anywhere in the list, with optional whitespace
 * around it, and never `ctx=lane:gray2`, `ctx=lane:gra` or `xctx=lane:gray` (ARCHITECTURE.md, decision 2).
 *
 * What the ALB documents (HttpHeaderConditionConfig, "Listener rules for your Application Load Balancer"):
 * - `Values`: wildcards `*` and `?`, whole-value match, case-insensitive, at most 128 characters each;
 * - `RegexValues`: at most 128 characters each; no lookahead, lookbehind, backreferences, atomic groups,
 *   possessive quantifiers, subroutines, recursion, Unicode classes (`\p{L}`);
 * - at most 3 comparison strings per condition and 5 per rule, at most 5 wildcards per rule;
 * - "If the same header appears multiple times in the request, we search them in order until a match is found."
 * What it does not document: whether a regex must match the whole value or only a part of it, and whether it is
 * compared case-sensitively. The rule below is therefore one regex that is correct under all four readings
 * ({@link ALB_EVALUATION_MODELS}): it is anchored itself (`^...$`) and spells every letter as `[xX]`.
 *
 * Wildcards cannot do it: "anywhere in the list with optional whitespace around commas" needs
 * `ctx=lane:gray`, `ctx=lane:gray,*`, `*,ctx=lane:gray`, `*,ctx=lane:gray,*` and the same again with spaces and
 * tabs — more than 3 values per condition and 5 per rule — and `*ctx=lane:gray*` would match `xctx=lane:gray2`.
 *
 * The local gateway routes with these same conditions through {@link compileLaneRules}; there is no second
 * implementation of the lane match.
 */

import { assertLaneName, LANE_TRACESTATE_KEY, LANE_VALUE_PREFIX } from './lane.js';

/** The header the lane rule looks at (lowercase, as W3C Trace Context §3.3.1 asks senders to write it). */
export const TRACESTATE_HEADER_NAME = 'tracestate';

/** The ALB limits that apply to an http-header condition. */
export const ALB_LIMITS = {
  /** Characters per `Values` or `RegexValues` entry. */
  maxValueLength: 128,
  /** Comparison strings (`Values` plus `RegexValues`) per condition. */
  maxEvaluationsPerCondition: 3,
  /** Comparison strings per rule, over all its conditions. */
  maxEvaluationsPerRule: 5,
  /** Wildcard characters (`*`, `?`) per rule, over all its `Values`. */
  maxWildcardsPerRule: 5,
} as const;

/** Characters of `HttpHeaderName` (ELBv2 API: "The maximum length is 40 characters"). */
const MAX_HEADER_NAME_LENGTH = 40;

/** RFC 7230 §3.2.6 `token`, the characters ELBv2 allows in `HttpHeaderName`. */
const HEADER_NAME_PATTERN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * One `http-header` condition of a listener rule, shaped exactly as the ELBv2 API (`RuleCondition`) and
 * CloudFormation (`AWS::ElasticLoadBalancingV2::ListenerRule` `Conditions`) take it, so that cdk and the AWS SDK
 * pass it through unchanged.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_HttpHeaderConditionConfig.html
 */
export interface AlbHttpHeaderCondition {
  readonly Field: 'http-header';
  readonly HttpHeaderConfig: {
    /** The header name, compared case-insensitively. */
    readonly HttpHeaderName: string;
    /** Wildcard patterns (`*`, `?`), each compared with the whole value, case-insensitively. */
    readonly Values?: readonly string[];
    /** Regular expressions. */
    readonly RegexValues?: readonly string[];
  };
}

/** Request headers as Node gives them (`IncomingHttpHeaders`) or any casing of names. */
export type AlbRequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** One reading of how the ALB applies a `RegexValues` entry, which its documentation leaves open. */
export interface AlbEvaluationModel {
  /** True: the regex must match the whole header value. False: it may match any part of it. */
  readonly anchored: boolean;
  /** True: letters are compared as written. False: case-insensitively. */
  readonly caseSensitive: boolean;
}

/** All four readings; the lane rule is proved under each of them. */
export const ALB_EVALUATION_MODELS: readonly AlbEvaluationModel[] = Object.freeze([
  Object.freeze({ anchored: false, caseSensitive: true }),
  Object.freeze({ anchored: false, caseSensitive: false }),
  Object.freeze({ anchored: true, caseSensitive: true }),
  Object.freeze({ anchored: true, caseSensitive: false }),
]);

/** The model used when none is given: a search, case-sensitive (plain regex semantics). */
export const DEFAULT_ALB_EVALUATION_MODEL: AlbEvaluationModel = ALB_EVALUATION_MODELS[0]!;

// ---------------------------------------------------------------------------------------------------------------
// The lane rule.
// ---------------------------------------------------------------------------------------------------------------

/** Characters that mean something in a regex outside a character class. */
const REGEX_SPECIAL = /[\\^$.|?*+()[\]{}/]/;

/** `text` as a regex that matches it in any letter case under any model: `ctx` → `[cC][tT][xX]`. */
function caselessLiteral(text: string): string {
  let regex = '';
  for (const char of text) {
    const lower = char.toLowerCase();
    const upper = char.toUpperCase();
    if (lower !== upper) regex += `[${lower}${upper}]`;
    else regex += REGEX_SPECIAL.test(char) ? `\\${char}` : char;
  }
  return regex;
}

/** OWS (W3C Trace Context §3.3.1.1, RFC 7230 §3.2.3): spaces and horizontal tabs. */
const OWS = '[ \\t]*';

/** The member's prefix `ctx=lane:`, caseless; computed once. */
const LANE_MEMBER_PREFIX = `${caselessLiteral(LANE_TRACESTATE_KEY)}=${caselessLiteral(LANE_VALUE_PREFIX)}`;

/**
 * The regex that matches a `tracestate` header value holding the member `ctx=lane:<lane>`:
 * `^(.*,)?[ \t]*[cC][tT][xX]=[lL][aA][nN][eE]:<lane, caseless>[ \t]*(,.*)?$`.
 *
 * - `^(.*,)?` and `(,.*)?$`: the member is the whole value or is delimited by commas, so no key that merely ends
 *   in `ctx` and no lane that merely starts with `<lane>` matches; the regex is anchored itself, so it does not
 *   matter whether the ALB anchors it;
 * - `[ \t]*`: the list's optional whitespace around the member;
 * - every letter as `[xX]`: it does not matter whether the ALB compares case-sensitively.
 * At most 120 characters for the longest lane ({@link ALB_LIMITS} allows 128).
 *
 * @throws InvalidLaneNameError when `lane` is not a valid lane name.
 */
export function laneMatchRegex(lane: string): string {
  const regex = `^(.*,)?${OWS}${LANE_MEMBER_PREFIX}${caselessLiteral(assertLaneName(lane))}${OWS}(,.*)?$`;
  if (regex.length > ALB_LIMITS.maxValueLength) {
    throw new Error(
      `bug: the rule regex for lane "${lane}" has ${regex.length} characters; see MAX_LANE_LENGTH`,
    );
  }
  return regex;
}

/**
 * The conditions of lane `lane`'s listener rule: one http-header condition on `tracestate` with the one regex of
 * {@link laneMatchRegex}.
 *
 * @throws InvalidLaneNameError when `lane` is not a valid lane name.
 */
export function laneRuleConditions(lane: string): AlbHttpHeaderCondition[] {
  return [
    {
      Field: 'http-header',
      HttpHeaderConfig: { HttpHeaderName: TRACESTATE_HEADER_NAME, RegexValues: [laneMatchRegex(lane)] },
    },
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// What the ALB accepts.
// ---------------------------------------------------------------------------------------------------------------

/** Group openings of regex features the ALB refuses (matched by the scanner below, outside character classes). */
const UNSUPPORTED_GROUPS: readonly (readonly [prefix: string, feature: string])[] = [
  ['(?=', 'lookahead'],
  ['(?!', 'lookahead'],
  ['(?<=', 'lookbehind'],
  ['(?<!', 'lookbehind'],
  ['(?>', 'atomic groups'],
  ['(?R)', 'recursion'],
  ['(?&', 'subroutines'],
  ['(?P>', 'subroutines'],
  ['(?P=', 'backreferences'],
  ['(?|', 'branch reset groups'],
];

/**
 * The problems that make the ALB refuse `regex` as a `RegexValues` entry, or that make it unsafe to rely on:
 * too long; lookaround, backreferences, atomic groups, possessive quantifiers, subroutines, recursion, Unicode
 * classes (`\p{...}`); characters other than printable ASCII; not a regular expression at all. Empty when fine.
 */
export function checkAlbRegex(regex: string): string[] {
  const problems = new Set<string>();
  if (regex.length === 0) problems.add('the regex is empty');
  if (regex.length > ALB_LIMITS.maxValueLength) {
    problems.add(
      `the regex has ${regex.length} characters; the ALB allows at most ${ALB_LIMITS.maxValueLength}`,
    );
  }
  if (!/^[\x20-\x7e]*$/.test(regex)) problems.add('the regex has characters other than printable ASCII');
  const unsupported = (feature: string): void => {
    problems.add(`the regex uses ${feature}, which the ALB does not support`);
  };
  let inClass = false;
  for (let index = 0; index < regex.length; index++) {
    const char = regex[index]!;
    if (char === '\\') {
      const next = regex[index + 1] ?? '';
      if (next === 'p' || next === 'P' || next === 'X') unsupported('Unicode character classes');
      else if (!inClass && /[1-9]/.test(next)) unsupported('backreferences');
      else if (!inClass && next === 'k') unsupported('backreferences');
      else if (!inClass && next === 'g') unsupported('subroutines or backreferences (\\g)');
      index++;
      continue;
    }
    if (inClass) {
      if (char === ']') inClass = false;
      continue;
    }
    if (char === '[') {
      inClass = true;
      // A `]` right after `[` or `[^` is a literal in PCRE-style engines.
      if (regex[index + 1] === '^') index++;
      if (regex[index + 1] === ']') index++;
      continue;
    }
    if (char === '(' && regex[index + 1] === '?') {
      const rest = regex.slice(index);
      for (const [prefix, feature] of UNSUPPORTED_GROUPS) if (rest.startsWith(prefix)) unsupported(feature);
      if (/^\(\?[+-]?\d/.test(rest)) unsupported('subroutines');
      continue;
    }
    if ((char === '*' || char === '+' || char === '?' || char === '}') && regex[index + 1] === '+') {
      // `(?` was consumed above, so a `?` here is a quantifier; `}` closes a `{m,n}` quantifier.
      unsupported('possessive quantifiers');
      index++;
    }
  }
  if (problems.size === 0) {
    try {
      new RegExp(regex);
    } catch (error) {
      problems.add(`the regex is not valid: ${(error as Error).message}`);
    }
  }
  return [...problems];
}

/**
 * The problems that make the ALB refuse a rule with these conditions: header names, value lengths, evaluations
 * per condition and per rule, wildcards per rule, and each regex ({@link checkAlbRegex}). Empty when fine.
 */
export function checkAlbRule(conditions: readonly AlbHttpHeaderCondition[]): string[] {
  const problems: string[] = [];
  if (conditions.length === 0) problems.push('the rule has no conditions');
  let ruleEvaluations = 0;
  let ruleWildcards = 0;
  conditions.forEach((condition, index) => {
    const where = `condition ${index + 1}`;
    if (condition.Field !== 'http-header') {
      problems.push(`${where}: field "${String(condition.Field)}" is not modelled; only "http-header" is`);
      return;
    }
    const {
      HttpHeaderName: name,
      Values: values = [],
      RegexValues: regexValues = [],
    } = condition.HttpHeaderConfig;
    if (!HEADER_NAME_PATTERN.test(name)) {
      problems.push(`${where}: header name "${name}" is not an RFC 7230 token`);
    }
    if (name.length > MAX_HEADER_NAME_LENGTH) {
      problems.push(
        `${where}: header name has ${name.length} characters; the ALB allows ${MAX_HEADER_NAME_LENGTH}`,
      );
    }
    if (name.toLowerCase() === 'host')
      problems.push(`${where}: the host header needs a host-header condition`);
    const evaluations = values.length + regexValues.length;
    if (evaluations === 0) problems.push(`${where}: it has no Values and no RegexValues`);
    if (evaluations > ALB_LIMITS.maxEvaluationsPerCondition) {
      problems.push(
        `${where}: ${evaluations} comparison strings; the ALB allows ${ALB_LIMITS.maxEvaluationsPerCondition} per condition`,
      );
    }
    ruleEvaluations += evaluations;
    for (const value of values) {
      if (value.length > ALB_LIMITS.maxValueLength) {
        problems.push(
          `${where}: value "${value}" has ${value.length} characters; the ALB allows ${ALB_LIMITS.maxValueLength}`,
        );
      }
      for (const char of value) if (char === '*' || char === '?') ruleWildcards++;
    }
    for (const regex of regexValues) {
      for (const problem of checkAlbRegex(regex)) problems.push(`${where}: ${problem}`);
    }
  });
  if (ruleEvaluations > ALB_LIMITS.maxEvaluationsPerRule) {
    problems.push(
      `the rule has ${ruleEvaluations} comparison strings; the ALB allows ${ALB_LIMITS.maxEvaluationsPerRule} per rule`,
    );
  }
  if (ruleWildcards > ALB_LIMITS.maxWildcardsPerRule) {
    problems.push(
      `the rule has ${ruleWildcards} wildcards; the ALB allows ${ALB_LIMITS.maxWildcardsPerRule} per rule`,
    );
  }
  return problems;
}

/** Thrown by {@link compileLaneRules} for a rule the ALB would refuse. */
export class InvalidAlbRuleError extends Error {
  /** What is wrong, one line per problem. */
  readonly problems: readonly string[];
  constructor(lane: string, problems: readonly string[]) {
    super(`the listener rule of lane "${lane}" would be refused by the ALB: ${problems.join('; ')}`);
    this.name = 'InvalidAlbRuleError';
    this.problems = problems;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The model of evaluation.
// ---------------------------------------------------------------------------------------------------------------

/** A `Values` wildcard as a RegExp: whole value, case-insensitive, `*` any run, `?` one character. */
function wildcardRegExp(pattern: string): RegExp {
  let source = '';
  for (const char of pattern) {
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else source += REGEX_SPECIAL.test(char) ? `\\${char}` : char;
  }
  return new RegExp(`^${source}$`, 'is');
}

/** A `RegexValues` entry as a RegExp under `model`. */
function regexValueRegExp(regex: string, model: AlbEvaluationModel): RegExp {
  return new RegExp(model.anchored ? `^(?:${regex})$` : regex, model.caseSensitive ? '' : 'i');
}

/** Every RegExp a condition compares with, under `model`. */
function conditionRegExps(condition: AlbHttpHeaderCondition, model: AlbEvaluationModel): RegExp[] {
  const { Values: values = [], RegexValues: regexValues = [] } = condition.HttpHeaderConfig;
  return [...values.map(wildcardRegExp), ...regexValues.map((regex) => regexValueRegExp(regex, model))];
}

/** True when `key` equals the lowercase `lowerName`, ignoring ASCII case. */
function isHeaderName(key: string, lowerName: string): boolean {
  if (key.length !== lowerName.length) return false;
  if (key === lowerName) return true;
  for (let index = 0; index < key.length; index++) {
    let code = key.charCodeAt(index);
    if (code >= 0x41 && code <= 0x5a) code += 0x20;
    if (code !== lowerName.charCodeAt(index)) return false;
  }
  return true;
}

/** True when some RegExp matches some occurrence (one string or several, searched in order). */
function anyOccurrenceMatches(regExps: readonly RegExp[], occurrence: string | readonly string[]): boolean {
  if (typeof occurrence === 'string') {
    for (const regExp of regExps) if (regExp.test(occurrence)) return true;
    return false;
  }
  for (const value of occurrence) {
    for (const regExp of regExps) if (regExp.test(value)) return true;
  }
  return false;
}

/** True when the header `lowerName` (any casing in `headers`) has an occurrence that some RegExp matches. */
function headerMatches(regExps: readonly RegExp[], headers: AlbRequestHeaders, lowerName: string): boolean {
  for (const key in headers) {
    if (!isHeaderName(key, lowerName)) continue;
    const occurrence = headers[key];
    if (occurrence !== undefined && anyOccurrenceMatches(regExps, occurrence)) return true;
  }
  return false;
}

/**
 * Whether the ALB would apply a rule with these conditions to a request with these headers, under `model`: every
 * condition must match; a condition matches when any of its values matches any occurrence of its header (header
 * names compared case-insensitively; a header given as an array is several occurrences, searched in order). A
 * wildcard value matches the whole value, case-insensitively, under every model.
 *
 * This builds RegExps on every call; it is the reference model for tests. Route with {@link compileLaneRules}.
 */
export function albRuleMatches(
  conditions: readonly AlbHttpHeaderCondition[],
  headers: AlbRequestHeaders,
  model: AlbEvaluationModel = DEFAULT_ALB_EVALUATION_MODEL,
): boolean {
  if (conditions.length === 0) return false;
  return conditions.every((condition) =>
    headerMatches(
      conditionRegExps(condition, model),
      headers,
      condition.HttpHeaderConfig.HttpHeaderName.toLowerCase(),
    ),
  );
}

/** A lane's rule as {@link compileLaneRules} takes it. */
export interface LaneRule {
  readonly lane: string;
  readonly conditions: readonly AlbHttpHeaderCondition[];
}

/** Returns the lane of the first rule that matches the request's headers, or undefined (the default rule). */
export type LaneRuleMatcher = (headers: AlbRequestHeaders) => string | undefined;

/** Several occurrences as one list, in order (only when a request spells one header name in several casings). */
function concatOccurrences(first: string | readonly string[], second: string | readonly string[]): string[] {
  return [
    ...(typeof first === 'string' ? [first] : first),
    ...(typeof second === 'string' ? [second] : second),
  ];
}

/**
 * A matcher for the local gateway's hot path: the lane of the first rule (in the order given, which is priority
 * order) whose conditions all match, else undefined. Evaluates exactly as {@link albRuleMatches} does.
 *
 * Everything that depends only on the rules is done here, once: RegExps are built, header names lowered and
 * numbered. Per request there is one pass over the request's header names, then regex tests; nothing is
 * allocated (except when one header arrives under two casings of its name, which Node never produces).
 *
 * @throws InvalidAlbRuleError when a rule would be refused by the ALB ({@link checkAlbRule}): the local target
 *   must not accept what AWS would not.
 */
export function compileLaneRules(
  rules: readonly LaneRule[],
  model: AlbEvaluationModel = DEFAULT_ALB_EVALUATION_MODEL,
): LaneRuleMatcher {
  const names: string[] = [];
  const compiled = rules.map(({ lane, conditions }) => {
    const problems = checkAlbRule(conditions);
    if (problems.length > 0) throw new InvalidAlbRuleError(lane, problems);
    return {
      lane,
      conditions: conditions.map((condition) => {
        const name = condition.HttpHeaderConfig.HttpHeaderName.toLowerCase();
        if (!names.includes(name)) names.push(name);
        return { slot: names.indexOf(name), regExps: conditionRegExps(condition, model) };
      }),
    };
  });
  // The occurrences of each header name of the current request; reset after every call (the matcher is
  // synchronous, so one array serves every request).
  const slots: (string | readonly string[] | undefined)[] = names.map(() => undefined);

  const firstMatchingLane = (): string | undefined => {
    for (const rule of compiled) {
      let matches = true;
      for (const condition of rule.conditions) {
        const occurrence = slots[condition.slot];
        if (occurrence === undefined || !anyOccurrenceMatches(condition.regExps, occurrence)) {
          matches = false;
          break;
        }
      }
      if (matches) return rule.lane;
    }
    return undefined;
  };

  return (headers) => {
    for (const key in headers) {
      const value = headers[key];
      if (value === undefined) continue;
      for (let slot = 0; slot < names.length; slot++) {
        if (!isHeaderName(key, names[slot]!)) continue;
        const previous = slots[slot];
        slots[slot] = previous === undefined ? value : concatOccurrences(previous, value);
      }
    }
    try {
      return firstMatchingLane();
    } finally {
      slots.fill(undefined);
    }
  };
}
