import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RegistryProcess } from '../registry/testing/process.js';
import {
  callRegistryApi,
  pushBusybox,
  skopeoBinary,
  startGovernedRegistry,
} from '../testing/governed-registry.js';

const CHROMIUM = process.env['BERTH_CHROMIUM'] ?? '/usr/bin/chromium';
const ADMIN_PASSWORD = 'Browser-admin-1';
const missing = !existsSync(CHROMIUM)
  ? `chromium is not installed at ${CHROMIUM} (Debian package chromium; scripts/install.sh installs it)`
  : !skopeoBinary
    ? 'no skopeo'
    : false;

// Playwright types only: the module is loaded when chromium exists.
type Browser = import('playwright-core').Browser;
type Page = import('playwright-core').Page;

describe('berth-registry web UI in headless Chromium', { skip: missing }, () => {
  let dir: string;
  let server: RegistryProcess;
  let browser: Browser;
  let page: Page;
  // BERTH_UI_SCREENSHOTS=docs/registry-ui refreshes the documentation's screenshots.
  let shots: string;
  const base = () => `http://${server.address}`;
  const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`) });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-registry-ui-browser-'));
    shots = process.env['BERTH_UI_SCREENSHOTS'] ?? join(dir, 'shots');
    await mkdir(shots, { recursive: true });
    server = await startGovernedRegistry(join(dir, 'root'), ADMIN_PASSWORD);
    const { chromium } = await import('playwright-core');
    // Root has no user namespaces for Chromium's sandbox here; the page is our own.
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1000, height: 600 } });
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('logs in, creates a project, shows a pushed image with its tags, adds a member, shows the audit log', async () => {
    await page.goto(`${base()}/ui/`);
    await page.click('text=Log in');
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', ADMIN_PASSWORD);
    await page.click('button:has-text("Log in")');
    assert.equal(await page.textContent('h1'), 'Projects');

    await page.fill('form[action="/ui/projects"] input[name=name]', 'team');
    await page.fill('form[action="/ui/projects"] input[name=limit]', '100');
    await page.click('form[action="/ui/projects"] button');
    assert.equal(await page.textContent('h1'), 'Project team');

    for (const tag of ['1.0', 'latest']) {
      const push = await pushBusybox(`docker://${server.address}/team/app:${tag}`, `admin:${ADMIN_PASSWORD}`);
      assert.equal(push.code, 0, push.stderr);
    }
    await page.reload();
    await page.click('a:has-text("team/app")');
    const body = (await page.textContent('main')) ?? '';
    assert.match(body, /1\.0/);
    assert.match(body, /latest/);
    assert.match(body, /docker pull/);
    await shot('repository');

    await page.goto(`${base()}/ui/users`);
    await page.fill('form[action="/ui/users"] input[name=username]', 'dev');
    await page.fill('form[action="/ui/users"] input[name=password]', 'Dev-pass-1');
    await page.click('form[action="/ui/users"] button');
    assert.match((await page.textContent('main')) ?? '', /dev/);
    await shot('users');

    await page.goto(`${base()}/ui/projects/team/members`);
    await page.fill('input[name=username]', 'dev');
    await page.selectOption('select[name=role]', 'developer');
    await page.click('button:has-text("Save")');
    const members = (await page.textContent('main')) ?? '';
    assert.match(members, /dev\s*developer/);
    await shot('members');

    await page.goto(`${base()}/ui/projects/team/logs`);
    const log = (await page.textContent('main')) ?? '';
    for (const operation of ['create_project', 'push', 'add_member'])
      assert.ok(log.includes(operation), `audit page lists ${operation}:\n${log}`);
    assert.match(log, /team\/app:latest/);
    await shot('audit-log');

    await page.goto(`${base()}/ui/projects/team`);
    await shot('project');
    await page.goto(`${base()}/ui/`);
    assert.match((await page.textContent('main')) ?? '', /team/);
    await shot('projects');
    // A rule to a registry that is not there: its run fails per artifact, and the page says so.
    const rule = await callRegistryApi(
      server.address,
      'admin',
      ADMIN_PASSWORD,
      'POST',
      '/api/v2.0/replication/policies',
      {
        name: 'to-dr',
        direction: 'push',
        project: 'team',
        remote: { url: 'http://127.0.0.1:1' },
      },
    );
    assert.equal(rule.status, 201);
    await page.goto(`${base()}/ui/replication`);
    assert.equal(await page.textContent('h1'), 'Replication');
    await page.click('button:has-text("Run now")');
    for (let i = 0; i < 50 && !/failed/.test((await page.textContent('main')) ?? ''); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      await page.reload();
    }
    const run = (await page.textContent('main')) ?? '';
    assert.match(run, /team\/app/);
    assert.match(run, /failed/);
    assert.ok(await page.isVisible('button:has-text("Retry the failures")'));
    await shot('replication-run');
    await page.goto(`${base()}/ui/replication`);
    await shot('replication');
  });
});
