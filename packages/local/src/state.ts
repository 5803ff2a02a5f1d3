/**
 * The local target's state: which lanes should exist (and, while the supervisor runs, which process serves each).
 * One JSON file per environment, written atomically ({@link writeFileAtomic}) under a lock file, so concurrent
 * `lanes` commands and the supervisor never lose each other's updates, and a kill at any moment leaves either the
 * old or the new file. After a SIGKILL of the supervisor, a new one reads it and brings every lane back.
 */
import { readJsonFile, writeFileAtomic } from './atomic.js';
import { type LockOptions, withLock } from './lock.js';

/** The state format version. */
export const STATE_VERSION = 1;

/** How many previous versions of a lane are kept for `rollback --to`. */
export const KEPT_VERSIONS = 10;

/** A version of a lane: one commit of its App repo. */
export interface LaneVersion {
  /** Full commit id, or `working-tree` for an App repo that is not a git repository. */
  readonly commit: string;
  /** The branch it was built from. */
  readonly branch: string;
  /**
   * The configuration (environment variables) resolved from `.lanes/config/{env}.yaml` when it was deployed;
   * a rollback restores it with the commit. @default none
   */
  readonly config?: Readonly<Record<string, string>>;
}

/** The process currently serving a lane (while the supervisor runs). */
export interface InstanceRecord {
  /** Unique id, also passed to the process as LANES_INSTANCE_ID. */
  readonly id: string;
  /** Pid of the process group leader. */
  readonly pid: number;
  /** Port it listens on (127.0.0.1). */
  readonly port: number;
  /** ISO time it was started. */
  readonly startedAt: string;
}

/** One desired lane. */
export interface LaneRecord extends LaneVersion {
  readonly service: string;
  readonly lane: string;
  /** Directory the service runs in (inside its worktree). */
  readonly dir: string;
  /** The command that starts it (`local.run`). */
  readonly run: string;
  /** Health path, checked on 127.0.0.1:{port}. */
  readonly healthPath: string;
  /** Port of the service's gateway. */
  readonly gatewayPort: number;
  /** The version served before this one, for rollback. */
  readonly previous?: LaneVersion;
  /** Every version served before this one, newest first (at most {@link KEPT_VERSIONS}). @default none */
  readonly history?: readonly LaneVersion[];
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Who created the lane (git author, else OS user). Absent on lanes deployed before lifecycles existed. */
  readonly owner?: string;
  /** When the lane was last deployed (ISO 8601). */
  readonly deployedAt?: string;
  /** When the lane expires (ISO 8601); absent: never (the baseline). `lanes extend` moves it. */
  readonly expiresAt?: string;
  /** The serving process, when the supervisor runs it. */
  readonly instance?: InstanceRecord;
}

/**
 * An instance that is not (or no longer) the serving instance of its lane: one being deployed, recorded before its
 * process starts, or one draining after a switch. Whoever finds it after a crash of the supervisor stops it.
 */
export interface PendingInstanceRecord {
  readonly id: string;
  readonly service: string;
  readonly lane: string;
  /** Pid of the process group leader; 0 until the process has started. */
  readonly pid: number;
  readonly port: number;
  /** What it is: `deploying` (not routed yet) or `draining` (replaced, stopping). */
  readonly phase: 'deploying' | 'draining';
}

/** The whole state of one environment. */
export interface LocalState {
  readonly version: typeof STATE_VERSION;
  /** Lanes by `{service}/{lane}`. */
  readonly lanes: Readonly<Record<string, LaneRecord>>;
  /** Instances that no lane records as serving, by id (see {@link PendingInstanceRecord}). @default none */
  readonly pending?: Readonly<Record<string, PendingInstanceRecord>>;
}

/** An empty state. */
export const EMPTY_STATE: LocalState = Object.freeze({ version: STATE_VERSION, lanes: Object.freeze({}) });

/** Reads and updates one state file. */
export class StateStore {
  constructor(
    readonly file: string,
    readonly lockFile: string,
    private readonly lockOptions: LockOptions = {
      timeoutMs: 30_000,
      staleMs: 30_000,
      what: 'the lanes state',
    },
  ) {}

  /** The current state (empty when there is no file yet). */
  async read(): Promise<LocalState> {
    const state = await readJsonFile<LocalState>(this.file);
    if (state === undefined) return EMPTY_STATE;
    if (state.version !== STATE_VERSION) {
      throw new Error(
        `${this.file} has state version ${String(state.version)}; this ecs-lanes reads ${STATE_VERSION}`,
      );
    }
    return state;
  }

  /**
   * Reads, applies `change`, writes atomically, all under the lock. `change` returns the new state, or
   * undefined to write nothing. Returns the state after the update.
   */
  async update(change: (state: LocalState) => LocalState | undefined): Promise<LocalState> {
    return withLock(
      this.lockFile,
      async () => {
        const current = await this.read();
        const next = change(current);
        if (next === undefined || next === current) return current;
        await writeFileAtomic(this.file, `${JSON.stringify(next, null, 2)}\n`);
        return next;
      },
      this.lockOptions,
    );
  }
}

/** `state` with lane `key` set to `record` (or removed when undefined). */
export function withLaneRecord(state: LocalState, key: string, record: LaneRecord | undefined): LocalState {
  const lanes = { ...state.lanes };
  if (record === undefined) delete lanes[key];
  else lanes[key] = record;
  return { ...state, version: STATE_VERSION, lanes };
}

/** `state` with pending instance `id` set to `record` (or removed when undefined). */
export function withPendingInstance(
  state: LocalState,
  id: string,
  record: PendingInstanceRecord | undefined,
): LocalState {
  const pending = { ...state.pending };
  if (record === undefined) delete pending[id];
  else pending[id] = record;
  const { pending: _previous, ...rest } = state;
  return Object.keys(pending).length === 0
    ? { ...rest, version: STATE_VERSION }
    : { ...rest, version: STATE_VERSION, pending };
}
