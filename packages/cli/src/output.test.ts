import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { endQuietlyOnClosedPipe } from './output.js';

const errno = (code: string) => Object.assign(new Error(`write ${code}`), { code });

describe('endQuietlyOnClosedPipe', () => {
  it('ends the process when the reader of stdout went away (EPIPE)', () => {
    const stream = new PassThrough();
    let ended = 0;
    endQuietlyOnClosedPipe(stream, () => ended++);
    stream.emit('error', errno('EPIPE'));
    expect(ended).toBe(1);
  });

  it('leaves any other stream error to Node (it is raised, not swallowed)', () => {
    const stream = new PassThrough();
    let ended = 0;
    endQuietlyOnClosedPipe(stream, () => ended++);
    expect(() => stream.emit('error', errno('ENOSPC'))).toThrow(/ENOSPC/);
    expect(ended).toBe(0);
  });
});
