import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RegistryProcess } from '../registry/testing/process.js';
import { startDaemon, type TestDaemon } from '../testing/daemon.js';
import { startGovernedRegistry } from '../testing/governed-registry.js';
import { bin, busyboxArchive, fixturesMissing } from '../testing/paths.js';
import { runCommand } from '../testing/run.js';

const CHROMIUM = process.env['BERTH_CHROMIUM'] ?? '/usr/bin/chromium';
const ADMIN_PASSWORD = 'Browser-admin-1';
const missing =
  fixturesMissing ||
  (!existsSync(CHROMIUM)
    ? `chromium is not installed at ${CHROMIUM} (Debian package chromium; scripts/install.sh installs it)`
    : false);

// Playwright types only: the module is loaded when chromium exists.
type Browser = import('playwright-core').Browser;
type Page = import('playwright-core').Page;

describe('berth-registry web UI in headless Chromium', { skip: missing }, () => {
  let dir: string;
  let server: RegistryProcess;
  let daemon: TestDaemon;
  let browser: Browser;
  let page: Page;
  // BERTH_UI_SCREENSHOTS=docs/registry-ui refreshes the documentation's screenshots.
  let shots: string;
  const dialogs: string[] = [];
  const base = () => `http://${server.address}`;
  const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  const text = async () => (await page.textContent('main')) ?? '';
  /** The berth CLI against the test daemon, with its own client config (credentials). */
  const berth = (args: string[], input?: string) =>
    runCommand(process.execPath, [bin('berth'), ...args], {
      env: { ...process.env, DOCKER_HOST: daemon.host, BERTH_CONFIG: join(dir, 'client') },
      timeoutMs: 120_000,
      ...(input ? { input } : {}),
    });
  const push = async (tag: string) => {
    const target = `${server.address}/team/app:${tag}`;
    assert.equal((await berth(['tag', 'busybox', target])).code, 0);
    const pushed = await berth(['push', target]);
    assert.equal(pushed.code, 0, pushed.stderr);
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-registry-ui-browser-'));
    shots = process.env['BERTH_UI_SCREENSHOTS'] ?? join(dir, 'shots');
    await mkdir(shots, { recursive: true });
    server = await startGovernedRegistry(join(dir, 'root'), ADMIN_PASSWORD);
    daemon = await startDaemon();
    const loaded = await berth(['load', '-i', busyboxArchive]);
    assert.equal(loaded.code, 0, loaded.stderr);
    const { chromium } = await import('playwright-core');
    // Root has no user namespaces for Chromium's sandbox here; the page is our own.
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1100, height: 650 } });
    // An alert() would mean markup from a name or a query ran as script.
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
  });
  after(async () => {
    await browser?.close();
    await daemon?.stop();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('logs in, creates a project, shows an image pushed with the CLI, its detail, search, members and the audit log', async () => {
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

    const login = await berth(
      ['login', '-u', 'admin', '--password-stdin', server.address],
      `${ADMIN_PASSWORD}\n`,
    );
    assert.equal(login.code, 0, login.stderr);
    for (const tag of ['1.0', 'latest']) await push(tag);
    await page.reload();
    await page.click('a:has-text("team/app")');
    const repository = await text();
    assert.match(repository, /1\.0, latest/);
    assert.match(repository, /docker pull/);
    await shot('repository');

    await page.click('td a:has(code)');
    assert.match((await page.textContent('h1')) ?? '', /^team\/app@sha256:/);
    const detail = await text();
    assert.match(detail, /Layers/);
    assert.match(detail, /rootfs\.diff\.tar|image\.layer/);
    assert.match(detail, /History/);
    assert.match(detail, /linux\/amd64/);
    assert.match(detail, /1\.0.*latest/s);
    await shot('artifact');

    await page.click('header a:has-text("Search")');
    await page.fill('input[name=q]', 'app');
    await page.click('button:has-text("Search")');
    assert.match(await text(), /1 repository matches “app”/);
    assert.ok(await page.isVisible('td a:has-text("team/app")'));
    await shot('search');
    await page.fill('input[name=q]', '<img src=x onerror=alert(1)>');
    await page.click('button:has-text("Search")');
    assert.match(await text(), /0 repositories match “<img src=x onerror=alert\(1\)>”/);

    await page.goto(`${base()}/ui/users`);
    await page.fill('form[action="/ui/users"] input[name=username]', 'dev');
    await page.fill('form[action="/ui/users"] input[name=password]', 'Dev-pass-1');
    await page.click('form[action="/ui/users"] button');
    assert.match(await text(), /dev/);
    await shot('users');

    await page.goto(`${base()}/ui/projects/team/members`);
    await page.fill('input[name=username]', 'dev');
    await page.selectOption('select[name=role]', 'developer');
    await page.click('button:has-text("Save")');
    assert.match(await text(), /dev\s*developer/);
    await shot('members');

    await page.goto(`${base()}/ui/projects/team/logs`);
    const log = await text();
    for (const operation of ['create_project', 'push', 'add_member'])
      assert.ok(log.includes(operation), `audit page lists ${operation}:\n${log}`);
    assert.match(log, /team\/app:latest/);
    await shot('audit-log');

    await page.goto(`${base()}/ui/projects/team`);
    await shot('project');
    await page.goto(`${base()}/ui/`);
    assert.match(await text(), /team/);
    await shot('projects');
    assert.deepEqual(dialogs, []);
  });

  it('runs retention and GC, creates a webhook and a replication rule, and shows their runs', async () => {
    await page.goto(`${base()}/ui/projects/team`);
    await page.click('nav a:has-text("Webhooks")');
    await page.fill('input[name=name]', 'ci');
    await page.fill('input[name=url]', 'http://127.0.0.1:1/hook');
    await page.click('button:has-text("Create")');
    assert.match(await text(), /Secret of ci/);
    await shot('webhooks');
    await push('2.0');
    await page.click('td a:has-text("ci")');
    for (let i = 0; i < 50 && !/PUSH_ARTIFACT/.test(await text()); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      await page.reload();
    }
    assert.match(await text(), /PUSH_ARTIFACT/);
    await shot('webhook-deliveries');

    await page.goto(`${base()}/ui/projects/team/retention`);
    await page.click('button:has-text("Run now")');
    assert.match(await text(), /Dry run: would delete 0 of 3 tags/);
    await shot('retention');

    await page.click('header a:has-text("Garbage collection")');
    await page.check('input[name=dry_run]');
    await page.click('button:has-text("Run now")');
    assert.match(await text(), /dry run/);
    await shot('gc');

    // A rule to a registry that is not there: its run fails per artifact, and the page says so.
    await page.click('header a:has-text("Replication")');
    await page.fill('input[name=name]', 'to-dr');
    await page.fill('input[name=project]', 'team');
    await page.fill('input[name=url]', 'http://127.0.0.1:1');
    await page.click('button:has-text("Create rule")');
    assert.equal(await page.textContent('h1'), 'Replication');
    await page.click('button:has-text("Run now")');
    for (let i = 0; i < 50 && !/failed/.test(await text()); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      await page.reload();
    }
    const run = await text();
    assert.match(run, /team\/app/);
    assert.match(run, /failed/);
    assert.ok(await page.isVisible('button:has-text("Retry the failures")'));
    await shot('replication-run');
    await page.goto(`${base()}/ui/replication`);
    assert.match(await text(), /to-dr/);
    await shot('replication');
    assert.deepEqual(dialogs, []);
  });
});
