/**
 * The fake's SSM Parameter Store: the calls `lanes config` and `lanes deploy` make, held to the AWS Systems
 * Manager API Reference:
 * - PutParameter (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html): a new
 *   name needs `Type` (String, StringList, SecureString); an existing one needs `Overwrite: true`
 *   (ParameterAlreadyExists); each write makes the next version (1, 2, ...) and returns it; Parameter Store keeps
 *   the 100 most recent versions and deletes the oldest on the 101st write (labels, which would block that with
 *   ParameterMaxVersionLimitExceeded, are not modelled); a standard-tier value holds at most 4,096 characters
 *   (ValidationException); the type of an existing parameter cannot change from or to SecureString here
 *   (modelled strictly, see docs/aws-fidelity.md).
 * - Names ("Creating Systems Manager parameters",
 *   https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-su-create.html): letters,
 *   digits and `_.-/`, case-sensitive; a hierarchical name starts with `/`; at most 15 levels; no `aws`/`ssm`
 *   prefix (ValidationException).
 * - GetParametersByPath (".../API_GetParametersByPath.html"): `Path` starts with `/`; without `Recursive` only
 *   the parameters one level below it; `MaxResults` 1..10 (default 10), `NextToken` pages; SecureString values
 *   come back encrypted unless `WithDecryption: true`.
 * - GetParameters (".../API_GetParameters.html"): 1..10 `Names`, each optionally `name:version`; unknown names or
 *   versions are listed in `InvalidParameters`, not raised.
 * - DeleteParameter (".../API_DeleteParameter.html"): ParameterNotFound for an unknown name.
 * KMS is not modelled: a SecureString is "encrypted" with the account's default key `alias/aws/ssm`, and the
 * ciphertext the fake returns is an opaque token that never contains the value.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { ErrorFactory } from './logs.js';

/** Largest value of a standard-tier parameter, in characters. */
export const SSM_MAX_STANDARD_VALUE = 4096;
/** Versions Parameter Store keeps per parameter. */
export const SSM_MAX_VERSIONS = 100;
/** Deepest hierarchy allowed. */
export const SSM_MAX_LEVELS = 15;
/** Page size bound of GetParametersByPath. */
export const SSM_MAX_RESULTS = 10;
/** Most names of one GetParameters call. */
export const SSM_MAX_NAMES = 10;

const TYPES = new Set(['String', 'StringList', 'SecureString']);

interface Version {
  readonly version: number;
  readonly value: string;
  readonly type: string;
  readonly modified: Date;
}

/** Options of {@link FakeSsm}. */
export interface FakeSsmOptions {
  readonly clock: Clock;
  readonly account: string;
  readonly region: string;
  readonly error: ErrorFactory;
}

/** The fake's Parameter Store. See the module doc. */
export class FakeSsm {
  private readonly parameters = new Map<string, Version[]>();

  constructor(private readonly options: FakeSsmOptions) {}

  /** The calls this module answers, by operation name. */
  handlers(): Record<string, (input: Record<string, unknown>) => unknown> {
    return {
      PutParameter: (i) => this.putParameter(i),
      DeleteParameter: (i) => this.deleteParameter(i),
      GetParametersByPath: (i) => this.getParametersByPath(i),
      GetParameters: (i) => this.getParameters(i),
    };
  }

  /** Every stored value of `name`, oldest first (tests). */
  versions(name: string): readonly { version: number; value: string; type: string }[] {
    return this.parameters.get(name) ?? [];
  }

  private fail(name: string, message: string): Error {
    return this.options.error(name, message);
  }

  private checkName(name: unknown): string {
    if (typeof name !== 'string' || name.trim() !== name || name.length === 0) {
      throw this.fail(
        'ValidationException',
        `Parameter name: can't be empty or contain leading or trailing spaces`,
      );
    }
    if (!/^[a-zA-Z0-9_.\-/]+$/.test(name)) {
      throw this.fail(
        'ValidationException',
        'Parameter name: can only include alphanumeric characters, periods, underscores, hyphens and forward slashes',
      );
    }
    const first = name.replace(/^\//, '').split('/')[0] ?? '';
    if (/^(aws|ssm)/i.test(first)) {
      throw this.fail(
        'ValidationException',
        `Parameter name: can't be prefixed with "aws" or "ssm" (case-insensitive).`,
      );
    }
    if (name.includes('/') && !name.startsWith('/')) {
      throw this.fail('ValidationException', 'Parameter name must be a fully qualified name.');
    }
    if (name.split('/').length - 1 > SSM_MAX_LEVELS) {
      throw this.fail(
        'HierarchyLevelLimitExceededException',
        `A hierarchy can have a maximum of ${SSM_MAX_LEVELS} levels.`,
      );
    }
    return name;
  }

  private arn(name: string): string {
    return `arn:aws:ssm:${this.options.region}:${this.options.account}:parameter${name.startsWith('/') ? '' : '/'}${name}`;
  }

  private putParameter(input: Record<string, unknown>) {
    const name = this.checkName(input.Name);
    const value = input.Value;
    if (typeof value !== 'string' || value.length === 0) {
      throw this.fail(
        'ValidationException',
        "1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1",
      );
    }
    if (value.length > SSM_MAX_STANDARD_VALUE) {
      throw this.fail(
        'ValidationException',
        `Standard tier parameters support a maximum parameter value of ${SSM_MAX_STANDARD_VALUE} characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier.`,
      );
    }
    const existing = this.parameters.get(name);
    const type = (input.Type as string | undefined) ?? existing?.at(-1)?.type;
    if (type === undefined || !TYPES.has(type)) {
      throw this.fail('ValidationException', 'A parameter type is required when you create a parameter.');
    }
    if (existing && input.Overwrite !== true) {
      throw this.fail(
        'ParameterAlreadyExists',
        'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.',
      );
    }
    const previousType = existing?.at(-1)?.type;
    if (
      previousType &&
      previousType !== type &&
      (previousType === 'SecureString' || type === 'SecureString')
    ) {
      throw this.fail(
        'ValidationException',
        `the fake refuses to change parameter ${name} from ${previousType} to ${type}; delete it first (see docs/aws-fidelity.md)`,
      );
    }
    const versions = existing ?? [];
    const version = (versions.at(-1)?.version ?? 0) + 1;
    versions.push({ version, value, type, modified: new Date(this.options.clock.now()) });
    if (versions.length > SSM_MAX_VERSIONS) versions.shift();
    this.parameters.set(name, versions);
    return { Version: version, Tier: 'Standard' };
  }

  private deleteParameter(input: Record<string, unknown>) {
    const name = String(input.Name);
    if (!this.parameters.delete(name)) throw this.fail('ParameterNotFound', `Parameter ${name} not found.`);
    return {};
  }

  private view(name: string, v: Version, decrypt: boolean) {
    return {
      Name: name,
      Type: v.type,
      Value: v.type === 'SecureString' && !decrypt ? ciphertext(name, v.version) : v.value,
      Version: v.version,
      LastModifiedDate: v.modified,
      ARN: this.arn(name),
      DataType: 'text',
    };
  }

  private getParametersByPath(input: Record<string, unknown>) {
    const path = input.Path;
    if (typeof path !== 'string' || !path.startsWith('/')) {
      throw this.fail('ValidationException', 'The parameter path must begin with a forward slash (/).');
    }
    const max = input.MaxResults === undefined ? SSM_MAX_RESULTS : Number(input.MaxResults);
    if (!Number.isInteger(max) || max < 1 || max > SSM_MAX_RESULTS) {
      throw this.fail(
        'ValidationException',
        `1 validation error detected: Value '${String(input.MaxResults)}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to ${SSM_MAX_RESULTS}`,
      );
    }
    const base = path.endsWith('/') ? path : `${path}/`;
    const names = [...this.parameters.keys()]
      .filter((n) => n.startsWith(base) && (input.Recursive === true || !n.slice(base.length).includes('/')))
      .sort();
    const start =
      input.NextToken === undefined ? 0 : Number(Buffer.from(String(input.NextToken), 'base64').toString());
    if (!Number.isInteger(start) || start < 0)
      throw this.fail('InvalidNextToken', 'The specified token is not valid.');
    const page = names.slice(start, start + max);
    return {
      Parameters: page.map((n) =>
        this.view(n, this.parameters.get(n)?.at(-1) as Version, input.WithDecryption === true),
      ),
      ...(start + max < names.length
        ? { NextToken: Buffer.from(String(start + max)).toString('base64') }
        : {}),
    };
  }

  private getParameters(input: Record<string, unknown>) {
    const names = (input.Names as string[] | undefined) ?? [];
    if (names.length < 1 || names.length > SSM_MAX_NAMES) {
      throw this.fail('ValidationException', `Names must have between 1 and ${SSM_MAX_NAMES} members`);
    }
    const found: ReturnType<FakeSsm['view']>[] = [];
    const invalid: string[] = [];
    for (const selector of names) {
      const m = /^(.*):(\d+)$/.exec(selector);
      const name = m ? (m[1] as string) : selector;
      const versions = this.parameters.get(name);
      const v = m ? versions?.find((x) => x.version === Number(m[2])) : versions?.at(-1);
      if (v) found.push(this.view(name, v, input.WithDecryption === true));
      else invalid.push(selector);
    }
    return { Parameters: found, InvalidParameters: invalid };
  }
}

/** What the fake returns for an undecrypted SecureString: opaque, and never the value. */
function ciphertext(name: string, version: number): string {
  return `AQICAH${createHash('sha256').update(`${name}:${version}`).digest('base64')}`;
}
