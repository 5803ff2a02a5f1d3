/**
 * The fake's IAM evaluator, case by case from IAM's documentation (policy evaluation logic, the Action, Resource
 * and Condition elements).
 */
import { describe, expect, it } from 'vitest';
import { evaluatePolicies, type IamRequest, type PolicyDocument, type PolicyStatement } from './iam.js';

const doc = (...Statement: PolicyStatement[]): PolicyDocument => ({ Version: '2012-10-17', Statement });
const decide = (policies: PolicyDocument[], request: IamRequest) =>
  evaluatePolicies(policies, request).decision;
const STACK = 'arn:aws:cloudformation:us-east-1:111122223333:stack/app-orders-dev-gray/abc';

describe('IAM policy evaluation', () => {
  it('denies implicitly when no statement allows', () => {
    expect(decide([], { action: 'ecs:CreateService', resource: '*' })).toBe('ImplicitDeny');
  });

  it('an explicit Deny wins over any Allow, in any order', () => {
    const allow: PolicyStatement = { Effect: 'Allow', Action: 'cloudformation:*', Resource: '*' };
    const deny: PolicyStatement = {
      Sid: 'DenyShared',
      Effect: 'Deny',
      Action: 'cloudformation:*',
      Resource: 'arn:aws:cloudformation:*:111122223333:stack/boot-*/*',
    };
    const boot = 'arn:aws:cloudformation:us-east-1:111122223333:stack/boot-alb-orders-dev/1';
    for (const policies of [[doc(allow, deny)], [doc(deny), doc(allow)]]) {
      expect(evaluatePolicies(policies, { action: 'cloudformation:DeleteStack', resource: boot })).toEqual({
        decision: 'ExplicitDeny',
        statement: 'DenyShared',
      });
      expect(decide(policies, { action: 'cloudformation:DeleteStack', resource: STACK })).toBe('Allow');
    }
  });

  it.each([
    ['ecs:*', 'ecs:CreateService', true],
    ['ECS:createservice', 'ecs:CreateService', true],
    ['ecs:Describe*', 'ecs:DescribeServices', true],
    ['ecs:Describe*', 'ecs:DeleteService', false],
    ['ecs:?eleteService', 'ecs:DeleteService', true],
    ['logs:CreateLogGroup', 'logs:CreateLogStream', false],
  ])('action %s matching %s: %s', (pattern, action, allowed) => {
    expect(
      decide([doc({ Effect: 'Allow', Action: pattern, Resource: '*' })], { action, resource: '*' }),
    ).toBe(allowed ? 'Allow' : 'ImplicitDeny');
  });

  it('NotAction allows every action but the listed ones', () => {
    const p = [doc({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' })];
    expect(decide(p, { action: 'ecs:CreateService', resource: '*' })).toBe('Allow');
    expect(decide(p, { action: 'iam:PassRole', resource: '*' })).toBe('ImplicitDeny');
  });

  it.each([
    ['*', 'arn:aws:logs:us-east-1:1:log-group:/ecs/dev/orders:*', true],
    ['arn:aws:cloudformation:us-east-1:111122223333:stack/app-orders-dev-*/*', STACK, true],
    [
      'arn:aws:cloudformation:us-east-1:111122223333:stack/app-orders-dev-*/*',
      STACK.replace('orders', 'web'),
      false,
    ],
    // A * inside a segment does not cross a colon; one that ends a segment may.
    [
      'arn:aws:logs:us-east-1:1:log-group:/ecs/*/orders',
      'arn:aws:logs:us-east-1:1:log-group:/ecs/dev/orders',
      true,
    ],
    ['arn:aws:logs:us-east-1:1:log-group:/ecs/*x', 'arn:aws:logs:us-east-1:1:log-group:/ecs/a:b/x', false],
    [
      'arn:aws:logs:us-east-1:1:log-group:/ecs/*',
      'arn:aws:logs:us-east-1:1:log-group:/ecs/dev:log-stream:x',
      true,
    ],
    [
      'arn:aws:cloudformation:*:111122223333:stack/boot-*/*',
      'arn:aws:cloudformation:eu-west-1:111122223333:stack/boot-x/1',
      true,
    ],
    // ARNs are case-sensitive.
    ['arn:aws:iam::1:role/Deploy', 'arn:aws:iam::1:role/deploy', false],
    // A policy naming an ARN does not cover an action without resource-level permissions (resource "*").
    ['arn:aws:ecs:us-east-1:1:service/c/x', '*', false],
  ])('resource %s matching %s: %s', (pattern, resource, allowed) => {
    expect(
      decide([doc({ Effect: 'Allow', Action: 'x:Y', Resource: pattern })], { action: 'x:Y', resource }),
    ).toBe(allowed ? 'Allow' : 'ImplicitDeny');
  });

  it('NotResource allows every resource but the listed ones', () => {
    const p = [doc({ Effect: 'Allow', Action: 'x:Y', NotResource: 'arn:aws:s3:::secret/*' })];
    expect(decide(p, { action: 'x:Y', resource: 'arn:aws:s3:::public/a' })).toBe('Allow');
    expect(decide(p, { action: 'x:Y', resource: 'arn:aws:s3:::secret/a' })).toBe('ImplicitDeny');
  });

  describe('conditions', () => {
    const passRole = (Condition: PolicyStatement['Condition']) => [
      doc({ Effect: 'Allow', Action: 'iam:PassRole', Resource: '*', Condition }),
    ];
    const request = (context?: IamRequest['context']): IamRequest => ({
      action: 'iam:PassRole',
      resource: 'arn:aws:iam::1:role/x',
      ...(context ? { context } : {}),
    });

    it('StringEquals: any listed value matches; a missing key does not', () => {
      const p = passRole({
        StringEquals: { 'iam:PassedToService': ['ecs-tasks.amazonaws.com', 'ecs.amazonaws.com'] },
      });
      expect(decide(p, request({ 'iam:PassedToService': 'ecs.amazonaws.com' }))).toBe('Allow');
      expect(decide(p, request({ 'iam:PassedToService': 'lambda.amazonaws.com' }))).toBe('ImplicitDeny');
      expect(decide(p, request())).toBe('ImplicitDeny');
    });

    it('condition key names are case-insensitive, values case-sensitive', () => {
      const p = passRole({ StringEquals: { 'IAM:PassedToService': 'ecs.amazonaws.com' } });
      expect(decide(p, request({ 'iam:PassedToService': 'ecs.amazonaws.com' }))).toBe('Allow');
      expect(decide(p, request({ 'iam:PassedToService': 'ECS.amazonaws.com' }))).toBe('ImplicitDeny');
    });

    it('every operator and every key must hold', () => {
      const p = passRole({
        StringEquals: { 'iam:PassedToService': 'ecs.amazonaws.com' },
        StringLike: { 'aws:RequestTag/team': 'a*' },
      });
      expect(
        decide(p, request({ 'iam:PassedToService': 'ecs.amazonaws.com', 'aws:RequestTag/team': 'ab' })),
      ).toBe('Allow');
      expect(
        decide(p, request({ 'iam:PassedToService': 'ecs.amazonaws.com', 'aws:RequestTag/team': 'b' })),
      ).toBe('ImplicitDeny');
    });

    it('a negated operator holds when the key is missing; ...IfExists holds when it is missing', () => {
      expect(decide(passRole({ StringNotEquals: { 'aws:SourceAccount': '1' } }), request())).toBe('Allow');
      expect(decide(passRole({ StringEqualsIfExists: { 'aws:SourceAccount': '1' } }), request())).toBe(
        'Allow',
      );
      expect(
        decide(
          passRole({ StringEqualsIfExists: { 'aws:SourceAccount': '1' } }),
          request({ 'aws:SourceAccount': '2' }),
        ),
      ).toBe('ImplicitDeny');
    });

    it('ArnLike, Bool and Null', () => {
      expect(
        decide(
          passRole({ ArnLike: { 'aws:SourceArn': 'arn:aws:codebuild:*:1:project/*' } }),
          request({ 'aws:SourceArn': 'arn:aws:codebuild:us-east-1:1:project/x' }),
        ),
      ).toBe('Allow');
      expect(
        decide(
          passRole({ Bool: { 'aws:SecureTransport': 'false' } }),
          request({ 'aws:SecureTransport': 'true' }),
        ),
      ).toBe('ImplicitDeny');
      expect(decide(passRole({ Null: { 'aws:SourceAccount': 'true' } }), request())).toBe('Allow');
    });

    it('refuses an operator it does not model rather than guessing', () => {
      expect(() =>
        decide(passRole({ NumericLessThan: { 'aws:MultiFactorAuthAge': '3600' } }), request()),
      ).toThrow(/NumericLessThan/);
    });
  });
});
