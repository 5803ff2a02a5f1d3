import { describe, expect, it } from 'vitest';
import { localPaths, localStateDir } from './paths.js';

describe('where a local environment keeps its state', () => {
  it('keeps lanes.yaml in .lanes/ and any other config file of the directory in .lanes/configs/{file}/', () => {
    expect(localStateDir('/p')).toBe('/p/.lanes');
    expect(localStateDir('/p', '/p/lanes.yaml')).toBe('/p/.lanes');
    expect(localStateDir('/p', '/p/lanes.staging.yaml')).toBe('/p/.lanes/configs/lanes.staging.yaml');
  });

  it('gives two configs of one directory no file in common', () => {
    const a = localPaths('/p', 'local', 'lanes.yaml');
    const b = localPaths('/p', 'local', 'other.yaml');
    const files = (p: typeof a) => [
      p.stateFile,
      p.stateLock,
      p.daemonFile,
      p.daemonStartLock,
      p.daemonLog,
      p.worktreesDir,
    ];
    for (const file of files(b)) expect(files(a)).not.toContain(file);
    expect(b.stateFile).toBe('/p/.lanes/configs/other.yaml/state/local.json');
  });
});
