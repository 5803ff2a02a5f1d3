/**
 * The IAM roles a CloudFormation template defines, with their policies resolved as CloudFormation would resolve
 * them for one stack: parameters, pseudo parameters, `Ref`/`Fn::GetAtt` of the template's own resources,
 * `Fn::Sub` (both forms), `Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::ImportValue` and `Fn::If` on the template's
 * conditions. The fake evaluates calls made under these roles with {@link evaluatePolicies}; so the policies it
 * enforces are the templates' own, never a copy.
 *
 * Physical names follow CloudFormation's documented forms: a role without `RoleName` is named
 * `{stack}-{logicalId}-{suffix}` under its `Path`; `Fn::GetAtt X.Arn` of a log group ends in `:*`.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iam-role.html (Return values)
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-logs-loggroup.html (Return values)
 */
import { evaluateConditions } from './conditions.js';
import type { PolicyDocument } from './iam.js';
import { parseTemplate, readTemplate } from './template.js';

/** What a template is resolved against. */
export interface RoleScope {
  readonly stackName: string;
  readonly account: string;
  readonly region: string;
  readonly parameters: Readonly<Record<string, string>>;
  /** The value of an export, or undefined when there is none (resolution then fails). */
  readonly importValue: (name: string) => string | undefined;
  /** Physical id (`Ref`) of a resource of the template; the default is the generated name below. */
  readonly physicalId?: (logicalId: string, type: string) => string | undefined;
}

/** One role of a template, resolved. */
export interface ResolvedRole {
  readonly logicalId: string;
  readonly arn: string;
  readonly trust: PolicyDocument;
  /** The inline policies (`Policies[].PolicyDocument`). */
  readonly policies: readonly PolicyDocument[];
}

const NO_VALUE = Symbol('AWS::NoValue');

/** The generated physical name of a resource without an explicit name. */
export function generatedName(stackName: string, logicalId: string): string {
  return `${stackName}-${logicalId}-FAKE0123`.slice(0, 64);
}

/** A template resolved for one stack: intrinsic functions, physical names and ARNs of its resources. */
export interface TemplateResolver {
  /** The value of a property node, intrinsics resolved (`AWS::NoValue` entries dropped). */
  resolve(node: unknown): unknown;
  /** What `Ref` of a resource gives. */
  physicalId(logicalId: string): string;
  /** What `Fn::GetAtt X.Arn` gives. */
  arnOf(logicalId: string): string;
  /** Whether the resource is created with these parameters (its `Condition` holds, or it has none). */
  created(logicalId: string): boolean;
}

const parsed = new Map<
  string,
  { doc: ReturnType<typeof parseTemplate>; info: ReturnType<typeof readTemplate> }
>();

/** A template parsed once per body (the fake resolves the same few templates for every resource change). */
function parsedTemplate(body: string) {
  let entry = parsed.get(body);
  if (!entry) {
    entry = { doc: parseTemplate(body), info: readTemplate(body) };
    if (parsed.size > 64) parsed.clear();
    parsed.set(body, entry);
  }
  return entry;
}

/** Resolves a template for one stack (see the module doc). */
export function templateResolver(body: string, scope: RoleScope): TemplateResolver {
  const { doc, info } = parsedTemplate(body);
  const defaults: Record<string, string> = {};
  for (const [k, p] of info.parameters) if (p.default !== undefined) defaults[k] = p.default;
  const parameters = { ...defaults, ...scope.parameters };
  const conditions = evaluateConditions(info, parameters);
  const resources = doc.Resources ?? {};
  const partition = 'aws';

  const physical = (logicalId: string): string => {
    const r = resources[logicalId];
    if (!r) throw new Error(`Ref/GetAtt of unknown resource ${logicalId}`);
    const explicit = scope.physicalId?.(logicalId, r.Type);
    if (explicit) return explicit;
    const props = r.Properties ?? {};
    const named = (key: string) => (props[key] !== undefined ? String(resolve(props[key])) : undefined);
    switch (r.Type) {
      case 'AWS::IAM::Role':
        return named('RoleName') ?? generatedName(scope.stackName, logicalId);
      case 'AWS::Logs::LogGroup':
        return named('LogGroupName') ?? generatedName(scope.stackName, logicalId);
      case 'AWS::CodeBuild::Project':
        return named('Name') ?? generatedName(scope.stackName, logicalId);
      case 'AWS::Lambda::Function':
        return named('FunctionName') ?? generatedName(scope.stackName, logicalId);
      case 'AWS::S3::Bucket':
        return (named('BucketName') ?? generatedName(scope.stackName, logicalId)).toLowerCase();
      default:
        return generatedName(scope.stackName, logicalId);
    }
  };
  const arnOf = (logicalId: string): string => {
    const r = resources[logicalId];
    if (!r) throw new Error(`GetAtt of unknown resource ${logicalId}`);
    const name = physical(logicalId);
    const { account, region } = scope;
    switch (r.Type) {
      case 'AWS::IAM::Role': {
        const path = r.Properties?.Path !== undefined ? String(resolve(r.Properties.Path)) : '/';
        return `arn:${partition}:iam::${account}:role${path}${name}`;
      }
      case 'AWS::Logs::LogGroup':
        return `arn:${partition}:logs:${region}:${account}:log-group:${name}:*`;
      case 'AWS::CodeBuild::Project':
        return `arn:${partition}:codebuild:${region}:${account}:project/${name}`;
      case 'AWS::Lambda::Function':
        return `arn:${partition}:lambda:${region}:${account}:function:${name}`;
      case 'AWS::S3::Bucket':
        return `arn:${partition}:s3:::${name}`;
      default:
        // Resources whose Ref is already their ARN (target groups, listener rules).
        return name;
    }
  };
  const pseudo: Record<string, string> = {
    'AWS::AccountId': scope.account,
    'AWS::Region': scope.region,
    'AWS::Partition': partition,
    'AWS::StackName': scope.stackName,
    'AWS::URLSuffix': 'amazonaws.com',
  };
  const ref = (name: string): unknown => {
    if (name === 'AWS::NoValue') return NO_VALUE;
    if (pseudo[name] !== undefined) return pseudo[name];
    if (parameters[name] !== undefined) return parameters[name];
    if (resources[name]) return physical(name);
    throw new Error(`Ref ${name}: no such parameter, pseudo parameter or resource`);
  };
  const sub = (template: string, vars: Record<string, unknown>): string =>
    template.replace(/\$\{([^}!]+)\}/g, (_m, expr: string) => {
      if (vars[expr] !== undefined) return String(resolve(vars[expr]));
      const dot = expr.indexOf('.');
      if (dot !== -1 && !expr.startsWith('AWS::')) return arnOf(expr.slice(0, dot));
      return String(ref(expr));
    });
  function resolve(node: unknown): unknown {
    if (Array.isArray(node)) return node.map(resolve).filter((v) => v !== NO_VALUE);
    if (!node || typeof node !== 'object') return node;
    const entries = Object.entries(node as Record<string, unknown>);
    if (entries.length === 1) {
      const [fn, arg] = entries[0]!;
      switch (fn) {
        case 'Ref':
          return ref(arg as string);
        case 'Fn::GetAtt': {
          const [id, attr] = Array.isArray(arg) ? arg : String(arg).split('.');
          if (attr !== 'Arn') throw new Error(`Fn::GetAtt ${id}.${attr}: only Arn is resolved by the fake`);
          return arnOf(id as string);
        }
        case 'Fn::Sub':
          return Array.isArray(arg)
            ? sub(String(arg[0]), (arg[1] ?? {}) as Record<string, unknown>)
            : sub(String(arg), {});
        case 'Fn::Join': {
          const [sep, items] = arg as [string, unknown[]];
          return (resolve(items) as unknown[]).map(String).join(sep);
        }
        case 'Fn::Select': {
          const [index, items] = arg as [number | string, unknown];
          return (resolve(items) as unknown[])[Number(index)];
        }
        case 'Fn::Split': {
          const [sep, value] = arg as [string, unknown];
          return String(resolve(value)).split(sep);
        }
        case 'Fn::ImportValue': {
          const name = String(resolve(arg));
          const value = scope.importValue(name);
          if (value === undefined) throw new Error(`No export named ${name} found`);
          return value;
        }
        case 'Fn::If': {
          const [condition, yes, no] = arg as [string, unknown, unknown];
          const holds = conditions.get(condition);
          if (holds === undefined) throw new Error(`Fn::If: unknown condition ${condition}`);
          return resolve(holds ? yes : no);
        }
      }
    }
    return Object.fromEntries(
      entries.map(([k, v]) => [k, resolve(v)] as const).filter(([, v]) => v !== NO_VALUE),
    );
  }

  return {
    resolve,
    physicalId: physical,
    arnOf,
    created: (logicalId) => {
      const c = resources[logicalId]?.Condition;
      return c === undefined || conditions.get(c) === true;
    },
  };
}

/** Resolves the template's roles (only those whose `Condition` holds). */
export function templateRoles(body: string, scope: RoleScope): ResolvedRole[] {
  const resources = parsedTemplate(body).doc.Resources ?? {};
  const { resolve, arnOf, created } = templateResolver(body, scope);
  const roles: ResolvedRole[] = [];
  for (const [logicalId, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::IAM::Role' || !created(logicalId)) continue;
    const props = r.Properties ?? {};
    const policies = ((props.Policies as { PolicyDocument: unknown }[] | undefined) ?? []).map(
      (p) => resolve(p.PolicyDocument) as PolicyDocument,
    );
    roles.push({
      logicalId,
      arn: arnOf(logicalId),
      trust: resolve(props.AssumeRolePolicyDocument) as PolicyDocument,
      policies,
    });
  }
  return roles;
}
