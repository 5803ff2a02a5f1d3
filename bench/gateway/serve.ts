/**
 * A gateway in its own process, as the supervisor runs it: `node --import tsx bench/gateway/serve.ts
 * <variant> <routes-json> [profile-file]` where variant is `current` (packages/local), `v0` (the gateway
 * before issue 7) or `bare` (a bare Node proxy without routing: the runtime's limit). Prints `{"port":N}` on stdout once listening. With a profile file, SIGUSR2 starts the CPU
 * profiler (so start-up and warm-up are left out) and SIGTERM writes the profile; SIGTERM stops it.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import type { GatewayInstance } from '@ecs-lanes/local';

const [variant = 'current', routesJson = '{}', profileFile] = process.argv.slice(2);
const routes = JSON.parse(routesJson) as { baseline: string; lanes: Record<string, GatewayInstance[]> };
const { Gateway } =
  variant === 'v0'
    ? await import('./gateway-v0.js')
    : variant === 'bare'
      ? await import('./bare-proxy.js')
      : await import('../../packages/local/src/gateway.js');
const gateway = new Gateway('orders');
gateway.setRoutes({ baseline: routes.baseline, lanes: new Map(Object.entries(routes.lanes)) });
const port = await gateway.listen(0);

let session: Session | undefined;
if (profileFile) {
  process.on('SIGUSR2', () => {
    session = new Session();
    session.connect();
    void session.post('Profiler.enable').then(() => session!.post('Profiler.start'));
  });
}
process.on('SIGTERM', async () => {
  if (session) {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(profileFile!, JSON.stringify(profile));
  }
  await Promise.race([gateway.close(), new Promise((r) => setTimeout(r, 1000))]);
  process.exit(0);
});
process.stdout.write(`${JSON.stringify({ port })}\n`);
