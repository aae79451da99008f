import { existsSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { Gossip } from '../../lib/engine';
import { CHROMIUM, launchChromium } from './support/browser';
import { type SampleProcess, startSampleCluster, stopAll } from './support/sample-process';

jest.setTimeout(90_000);

/** An entry value that would run script if the page ever parsed entries as HTML. */
const HOSTILE =
  '<script>window.__pwned = "script"</script><img src="x" onerror="window.__pwned = \'img\'">';
/** Where the screenshot goes: `GOSSIP_SCREENSHOT=docs/cluster-page.png` refreshes the README's. */
const SCREENSHOT = resolve(
  process.env.GOSSIP_SCREENSHOT ?? join(tmpdir(), 'nestjs-gossip-cluster-page.png'),
);

/** Polls `read` until `accept` holds; fails with the last value seen. */
async function eventually<T>(
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  what: string,
  timeout = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeout;
  let last: T | undefined;
  for (;;) {
    last = await read().catch(() => undefined as T);
    if (accept(last)) return last;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Refreshing the README's screenshot: let the chart fill up first. */
const SETTLE_MS = process.env.GOSSIP_SCREENSHOT ? 30_000 : 0;

const card = (page: Page, id: string) => page.locator(`article.node[data-node-id="${id}"]`);
const statusOf = (page: Page, id: string) => card(page, id).getAttribute('data-status');
const valueOf = (page: Page, id: string, key: string) =>
  card(page, id).locator(`tr[data-key="${key}"] td.value`).textContent();

// chromium comes from Debian's package; scripts/setup.sh installs it.
describe('cluster page in a real browser (Debian chromium, three sample processes)', () => {
  let nodes: SampleProcess[] = [];
  let writer: Gossip | undefined;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`${CHROMIUM} is missing (apt-get install chromium, see scripts/setup.sh)`);
    [nodes, browser] = await Promise.all([startSampleCluster(3, 100), launchChromium()]);
  });

  afterAll(async () => {
    await browser?.close();
    await writer?.close();
    await stopAll(nodes);
  });

  it('shows the cluster live: three nodes, an entry, a crash, a leave', async () => {
    const page = await browser!.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    const response = await page.goto(`${nodes[0].http}/gossip/ui`);
    expect(response?.headers()['content-security-policy']).toContain("default-src 'none'");

    // Three nodes, alive, each with the address it publishes; node-1 is "this node".
    await eventually(
      () => page.locator('article.node').count(),
      (n) => n === 3,
      'three cards',
    );
    for (const n of nodes) {
      await eventually(
        () => statusOf(page, n.id),
        (s) => s === 'alive',
        `${n.id} alive`,
      );
      await eventually(
        () => valueOf(page, n.id, 'http'),
        (v) => v === n.http,
        `${n.id} http`,
      );
    }
    expect(await card(page, 'node-1').locator('.self').textContent()).toBe('this node');
    expect(await page.locator('#conn').textContent()).toBe('live');
    expect(await page.locator('#t-alive').textContent()).toBe('3');
    await new Promise((r) => setTimeout(r, SETTLE_MS));

    // A fourth node publishes hostile markup: shown as text, never run.
    writer = await Gossip.create({ bindAddr: '127.0.0.1:0', nodeId: 'writer', interval: 100 });
    writer.upsertLocal('motd', HOSTILE);
    await writer.join([nodes[0].gossipAddr]);
    await eventually(
      () => valueOf(page, 'writer', 'motd'),
      (v) => v === HOSTILE,
      'the motd',
    );
    expect(await page.evaluate('typeof window.__pwned')).toBe('undefined');
    expect(await page.locator('#nodes img, #nodes script').count()).toBe(0);
    // The event log shows the write as text too.
    await eventually(
      () => page.locator('#log li[data-type="upsert-key"] .what').allTextContents(),
      (lines) => lines.includes(`writer motd = ${HOSTILE}`),
      'the write in the event log',
    );

    // An update appears.
    writer.upsertLocal('motd', 'maintenance at 18:00');
    await eventually(
      () => valueOf(page, 'writer', 'motd'),
      (v) => v === 'maintenance at 18:00',
      'the updated motd',
    );

    // Search narrows to the matching node.
    await page.fill('#search', 'maintenance');
    await eventually(
      () => page.locator('article.node').count(),
      (n) => n === 1,
      'one match',
    );
    await page.fill('#search', '');
    await eventually(
      () => page.locator('article.node').count(),
      (n) => n === 4,
      'four cards',
    );

    // Kill node-3 (SIGKILL: no leave): unreachable within the detection time.
    const killedAt = Date.now();
    await nodes[2].stop('SIGKILL');
    await eventually(
      () => statusOf(page, 'node-3'),
      (s) => s === 'unreachable',
      'node-3 down',
    );
    const detection = Date.now() - killedAt;
    console.log(`page showed node-3 unreachable ${detection} ms after SIGKILL`);
    // Phi accrual at a 100 ms interval notices in about a second; leave room for a busy CI.
    expect(detection).toBeLessThan(5000);
    expect(await card(page, 'node-3').locator('.badge').textContent()).toBe('unreachable');
    await eventually(
      () => card(page, 'node-3').locator('.expiry').textContent(),
      (t) => /^dropped in \d+ s$/.test(t ?? ''),
      'an expiry countdown',
    );
    expect(await page.locator('#t-unreachable').textContent()).toBe('1');

    // The writer leaves: shown as left, not unreachable.
    await writer.leave();
    await eventually(
      () => statusOf(page, 'writer'),
      (s) => s === 'left',
      'writer left',
    );

    // The chart has traffic to draw.
    await eventually(
      async () => Number(await page.locator('#t-in').textContent()),
      (rate) => rate > 0,
      'packets per second on the chart',
    );
    expect(errors).toEqual([]);

    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
    console.log(`screenshot: ${SCREENSHOT}`);
  });
});
