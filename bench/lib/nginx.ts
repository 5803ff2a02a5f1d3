/**
 * Runs a private nginx (Debian's) with a given config on 127.0.0.1, as a benchmark baseline or upstream.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Path of the nginx binary. */
export const NGINX = process.env.NGINX_BIN ?? '/usr/sbin/nginx';

/** True when nginx is installed. */
export function hasNginx(): boolean {
  return existsSync(NGINX);
}

/** A running nginx. */
export interface NginxProcess {
  readonly stop: () => Promise<void>;
}

/**
 * Starts nginx in the foreground-less daemon mode with `httpBlock` as the contents of its `http {}` block.
 * @param workers worker processes @default 1
 */
export async function startNginx(httpBlock: string, workers = 1): Promise<NginxProcess> {
  if (!hasNginx()) throw new Error('nginx not found: apt-get update && apt-get install -y nginx');
  const dir = mkdtempSync(path.join(tmpdir(), 'lanes-nginx-'));
  mkdirSync(path.join(dir, 'tmp'));
  const conf = path.join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes ${workers};
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp;
  proxy_temp_path ${dir}/tmp;
  fastcgi_temp_path ${dir}/tmp;
  uwsgi_temp_path ${dir}/tmp;
  scgi_temp_path ${dir}/tmp;
  keepalive_requests 1000000;
${httpBlock}
}
`,
  );
  const test = spawnSync(NGINX, ['-t', '-q', '-c', conf, '-p', dir], { encoding: 'utf8' });
  if (test.status !== 0) throw new Error(`nginx config rejected: ${test.stderr}`);
  const child = spawn(NGINX, ['-c', conf, '-p', dir, '-g', 'daemon off;'], { stdio: 'ignore' });
  await sleep(300);
  if (child.exitCode !== null)
    throw new Error(`nginx exited: ${readFileSync(path.join(dir, 'error.log'), 'utf8')}`);
  return {
    stop: async () => {
      if (child.exitCode !== null) return;
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGQUIT');
      await Promise.race([done, sleep(3000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
