/**
 * `lanes ui` in a real browser (slow: real processes, Debian's Chromium driven by playwright-core).
 *
 * The demo project runs on the local target (web → orders → inventory, lane gray of orders); the lane map is
 * served by the same code `lanes ui` runs, and Chromium looks at it as a person would: the matrix shows the
 * demo's lanes, a deploy appears without a reload, a removed lane disappears, and the call graph shows where a
 * gray request stays in its lane and where it falls back to the baseline.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, demoEnvironment, e2ePort, projectDir } from '../../local/src/e2e-helpers.js';
import type { LocalEnvironment } from '../../local/src/environment.js';
import { startUi } from './commands/ui.js';
import type { Io } from './output.js';
import type { UiServer } from './ui/server.js';

const CHROMIUM = '/usr/bin/chromium';
/** Flags for a root, headless Chromium on a machine with no network beyond loopback. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const dir = projectDir('ui');
let env: LocalEnvironment | undefined;
let ui: UiServer | undefined;
let browser: Browser | undefined;
let page: Page;

const io: Io = { out: () => {}, err: () => {}, cwd: dir, env: {}, interactive: false };
const cellOf = (service: string, lane: string) =>
  page.locator(`td[data-service="${service}"][data-lane="${lane}"]`);

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
  env = await demoEnvironment(dir, e2ePort(100));
  await env.up();
  await env.deploy({ service: 'orders', env: 'local', lane: 'gray', branch: 'gray' });
  ui = await startUi(io, {
    config: path.join(dir, 'lanes.yaml'),
    env: 'local',
    open: false,
    interval: '200',
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(ui.url);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await ui?.close();
  await cleanup(env, dir);
});

describe('lanes ui in Chromium', () => {
  it("shows the demo's lanes: every service's baseline and orders' gray lane, serving", async () => {
    await expect.poll(() => page.locator('#matrix td[data-service]').count()).toBe(4);
    for (const [service, lane] of [
      ['web', 'base'],
      ['orders', 'base'],
      ['orders', 'gray'],
      ['inventory', 'base'],
    ] as const) {
      expect(await cellOf(service, lane).getAttribute('data-state'), `${service}/${lane}`).toBe('serving');
    }
    expect(await cellOf('orders', 'gray').locator('.facts').first().textContent()).toContain('1 healthy');
    expect(await page.locator('th[data-lane-head]').allTextContents()).toEqual(['base (baseline)', 'gray']);
    expect(await page.locator('#live').textContent()).toBe('live');
  });

  it('draws where a gray request goes: orders in its lane, web and inventory fall back to the baseline', async () => {
    await page.locator('#lane-select').selectOption('gray');
    const node = (service: string) => page.locator(`g[data-node="${service}"]`);
    expect(await node('orders').getAttribute('data-reason')).toBe('lane');
    expect(await node('web').getAttribute('data-reason')).toBe('not-deployed');
    expect(await node('inventory').getAttribute('data-reason')).toBe('not-deployed');
    expect(await node('inventory').getAttribute('data-served')).toBe('base');
    if (process.env.LANES_UI_SCREENSHOT)
      await page.screenshot({ path: process.env.LANES_UI_SCREENSHOT, fullPage: true });
  });

  it('traces a gray request from web and draws each hop: web falls back, orders stays in gray', async () => {
    await page.locator('#lane-select').selectOption('gray');
    await page.locator('#trace-service').selectOption('web');
    await page.locator('#trace-run').click();
    await page.locator('#trace-tree').waitFor({ timeout: 20_000 });
    const mark = (service: string) =>
      page.locator(`li[data-hop="${service}"]`).first().getAttribute('data-mark');
    expect(await mark('web')).toBe('FALLBACK');
    expect(await mark('orders')).toBe('OK');
    expect(await mark('inventory')).toBe('FALLBACK');
    expect(await page.locator('li[data-hop="web"] > .mark').first().textContent()).toBe('[FALLBACK]');
    if (process.env.LANES_UI_SCREENSHOT)
      await page.screenshot({ path: process.env.LANES_UI_SCREENSHOT, fullPage: true });
  });

  it('shows a lane deployed while the page is open, without a reload', async () => {
    await env!.deploy({ service: 'inventory', env: 'local', lane: 'blue', branch: 'main' });
    await expect
      .poll(() => cellOf('inventory', 'blue').getAttribute('data-state'), { timeout: 15_000 })
      .toBe('serving');
    expect(await page.locator('th[data-lane-head]').allTextContents()).toContain('blue');
  });

  it('drops a removed lane while the page is open', async () => {
    await env!.remove({ service: 'inventory', env: 'local', lane: 'blue' });
    await expect.poll(() => cellOf('inventory', 'blue').count(), { timeout: 15_000 }).toBe(0);
    expect(await page.locator('th[data-lane-head]').allTextContents()).not.toContain('blue');
  });
});
