import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { withBusyboxDaemon } from '../testing/busybox-daemon.js';
import { asBerth, type CliPair, cliPair } from '../testing/cli-pair.js';
import { bin, dockerCli, fixturesMissing } from '../testing/paths.js';
import { RESIZE_THEN_SIZE, runOnPty } from '../testing/pty.js';

const docker = dockerCli();

/** Container ids differ between the two runs; everything else must not. */
const sameShape = (text: string) => asBerth(text).replace(/[0-9a-f]{64}/g, '<id>');
/**
 * ps output with its relative times ("Up 3 seconds", "2 seconds ago") blanked and
 * column padding evened: the two CLIs ask a moment apart, maybe across a second.
 */
const withoutTimes = (text: string) =>
  text
    .replace(/Less than a second|About an? (minute|hour)|\d+ (seconds?|minutes?|hours?)/g, '<t>')
    .replace(/ {2,}/g, '  ');

describe('berth container commands next to the Docker CLI', {
  skip: fixturesMissing || (docker ? false : 'no docker CLI on this machine'),
}, () => {
  const fixture = withBusyboxDaemon('berth-cli-containers-');
  let cli: CliPair;

  before(async () => {
    cli = cliPair(fixture.daemon.host, docker!);
  });

  /** The same lifecycle script through one CLI: what it printed and each exit code. */
  async function lifecycle(
    run: (...args: string[]) => Promise<{ code: number | null; stdout: string; stderr: string }>,
    name: string,
  ) {
    const lines: string[] = [];
    const step = async (...args: string[]) => {
      const r = await run(...args);
      lines.push(
        `$ ${args.join(' ').replaceAll(name, 'C')}`,
        r.stdout.replaceAll(name, 'C'),
        r.stderr.replaceAll(name, 'C'),
        `rc=${r.code}`,
      );
    };
    await step(
      'run',
      '-d',
      '--name',
      name,
      'busybox',
      'sh',
      '-c',
      'trap "exit 7" TERM; echo started; while true; do sleep 0.1; done',
    );
    // The trap is set once "started" is in the log: a TERM before it would kill with 143 on one side only.
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; ) {
      if ((await run('logs', name)).stdout.includes('started')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await step('stop', '-t', '5', name);
    await step('wait', name);
    await step('start', name);
    await step('restart', '-t', '1', name);
    await step('kill', '-s', 'USR1', name);
    await step('kill', `${name}-missing`);
    await step('stop', `${name}-missing`, `${name}-other`);
    await step('logs', '--tail', '1', name);
    await step('rm', name);
    await step('rm', '-f', name);
    await step('rm', '-f', name);
    await step('start', `${name}-missing`);
    await step('wait', `${name}-missing`);
    await step('exec', `${name}-missing`, 'true');
    return sameShape(lines.join('\n'));
  }

  it('stop, wait, start, restart, kill, logs and rm print and exit as docker does', async () => {
    const ours = await lifecycle(cli.berth, `life-b-${process.pid}`);
    const theirs = await lifecycle(cli.docker, `life-d-${process.pid}`);
    // The first line holds the new container's id.
    assert.equal(ours, theirs);
  });

  it('exec: exit codes, streams, env files, users, a missing command and a stopped container', async () => {
    const name = `exec-cli-${process.pid}`;
    assert.equal((await cli.berth('run', '-d', '--name', name, 'busybox', 'sleep', '300')).code, 0);
    const envFile = join(fixture.dir, 'env');
    await writeFile(envFile, '# comment\nFROM_FILE=yes\n\n');
    for (const args of [
      ['exec', name, 'sh', '-c', 'echo out; echo err >&2; exit 5'],
      [
        'exec',
        '--env-file',
        envFile,
        '-e',
        'B=2',
        '-u',
        'nobody',
        '-w',
        '/tmp',
        name,
        'sh',
        '-c',
        'echo $FROM_FILE $B $(id -un) $PWD',
      ],
      ['exec', name, 'nosuchbin'],
      ['exec', name, 'ps', '-o', 'pid,comm'],
    ]) {
      // One after the other: run side by side, each ps could list the other CLI's exec.
      const ours = await cli.berth(...args);
      const theirs = await cli.docker(...args);
      assert.deepEqual(
        [ours.stdout.replace(/^\s+\d+ ps\n/m, ''), ours.stderr, ours.code],
        [theirs.stdout.replace(/^\s+\d+ ps\n/m, ''), asBerth(theirs.stderr), theirs.code],
        args.join(' '),
      );
    }
    const piped = await cli.berthWithInput('typed\n', 'exec', '-i', name, 'cat');
    assert.equal(piped.stdout, 'typed\n');
    assert.equal((await cli.berth('exec', '-d', name, 'sleep', '1')).code, 0);
  });

  it('logs: follow, tail, timestamps and stream selection match docker', async () => {
    const name = `logs-cli-${process.pid}`;
    assert.equal(
      (await cli.berth('run', '--name', name, 'busybox', 'sh', '-c', 'echo a; echo b; echo c >&2')).code,
      0,
    );
    for (const args of [
      ['logs', name],
      ['logs', '-n', '2', name],
      ['logs', '-t', name],
      ['logs', '-f', name],
      ['logs', '--details', name],
      ['logs', '--since', '1h', '--until', '2100-01-01', name],
    ]) {
      const [ours, theirs] = await cli.both(...args);
      assert.deepEqual(
        [ours.stdout, ours.stderr, ours.code],
        [theirs.stdout, theirs.stderr, theirs.code],
        args.join(' '),
      );
    }
  });

  it('run -it, detach with ctrl-p ctrl-q, attach, start -a and exec -it on a terminal', async () => {
    const name = `tty-cli-${process.pid}`;
    const berth = [process.execPath, bin('berth'), '-H', fixture.daemon.host];
    const detached = await runOnPty(
      [...berth, 'run', '-it', '--name', name, 'busybox', 'sh'],
      ['<wait:# >', 'stty size\r', '<wait:30 100>', '\x10\x11'],
    );
    assert.equal(detached.code, 0, detached.output);
    assert.match(detached.output, /30 100\r\n/);
    const exec = await runOnPty(
      [...berth, 'exec', '-it', name, 'sh'],
      ['<wait:# >', 'tty\r', '<wait:/dev/pts>', ...RESIZE_THEN_SIZE, 'exit 9\r'],
    );
    assert.equal(exec.code, 9, exec.output);
    assert.match(exec.output, /\/dev\/pts\/\d+\r\n[\s\S]*40 120\r\n/);
    const attached = await runOnPty(
      [...berth, 'attach', name],
      ['echo back\r', '<wait:back\r\n>', 'exit 4\r'],
    );
    assert.equal(attached.code, 4, attached.output);
    assert.match(attached.output, /back\r\n/);
    const again = await runOnPty([...berth, 'start', '-ai', name], ['exit 6\r']);
    assert.equal(again.code, 6, again.output);
  });

  it('run without a TTY forwards signals (sig-proxy) and passes the exit code', async () => {
    const name = `sig-cli-${process.pid}`;
    const r = await runOnPty(
      [
        process.execPath,
        bin('berth'),
        '-H',
        fixture.daemon.host,
        'run',
        '--name',
        name,
        'busybox',
        'sh',
        '-c',
        'trap "echo got; exit 3" INT; echo ready; while true; do sleep 0.1; done',
      ],
      ['<wait:ready>', '\x03'],
    );
    assert.equal(r.code, 3, r.output);
    assert.match(r.output, /got/);
  });

  it('run --rm of a missing or unrunnable command exits 127 or 126 and leaves no container', async () => {
    for (const [command, code] of [
      ['nosuchbin', 127],
      ['/etc', 126],
    ] as const) {
      const [ours, theirs] = await cli.both('run', '--rm', 'busybox', command);
      assert.equal(ours.code, code);
      assert.equal(theirs.code, code);
      assert.equal(sameShape(ours.stderr), sameShape(theirs.stderr));
    }
    const left = await cli.docker('ps', '-aq', '--filter', 'status=created');
    assert.equal(left.stdout, '');
  });

  it('run --rm of a container that exits at once, silent or not, returns its exit code every time', async () => {
    // The attach stream can end before start has answered; that must not lose the exit code.
    for (let i = 0; i < 8; i++) {
      const silent = await cli.berth('run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'exit 3');
      assert.equal(silent.code, 3, silent.stderr);
      assert.equal(silent.stdout, '');
      const loud = await cli.berth('run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 4');
      assert.equal(loud.code, 4, loud.stderr);
      assert.equal(loud.stdout, 'out\n');
      assert.equal(loud.stderr, 'err\n');
    }
  });

  it('-t with a piped stdin is refused as docker refuses it', async () => {
    for (const args of [
      ['run', '-it', '--rm', 'busybox', 'true'],
      ['exec', '-it', `missing-${process.pid}`, 'true'],
    ]) {
      const [ours, theirs] = await cli.both(...args);
      assert.deepEqual([ours.stderr, ours.code], [asBerth(theirs.stderr), theirs.code]);
    }
    // exec looks for the container first, as docker does.
    const [run] = await cli.both('run', '-it', '--rm', 'busybox', 'true');
    assert.equal(run.stderr, 'the input device is not a TTY\n');
  });

  it('create with the resource, security, namespace, health and restart flags makes the container docker makes', async () => {
    const profile = join(fixture.dir, 'seccomp.json');
    await writeFile(profile, '{ "defaultAction": "SCMP_ACT_ALLOW",\n  "syscalls": [] }\n');
    const flagSets = [
      [
        ...['-m', '32m', '--memory-swap', '64m', '--memory-reservation', '16m', '--memory-swappiness', '10'],
        ...[
          '--oom-kill-disable',
          '--oom-score-adj',
          '100',
          '--cpus',
          '0.5',
          '-c',
          '512',
          '--cpuset-cpus',
          '0',
        ],
        ...['--pids-limit', '30', '--blkio-weight', '300', '--shm-size', '16m'],
        ...['--ulimit', 'nofile=100:200', '--ulimit', 'nproc=50', '--device', '/dev/null:/dev/n2:rw'],
        ...['--device', '/dev/zero', '--device-cgroup-rule', 'c 1:3 r', '--cgroup-parent', '/berth-t'],
        ...['--cap-add', 'NET_ADMIN', '--cap-drop', 'MKNOD', '--security-opt', 'no-new-privileges'],
        ...['--security-opt', `seccomp=${profile}`, '--read-only', '--group-add', '50'],
        ...['--sysctl', 'net.ipv4.tcp_syncookies=0', '--ipc', 'shareable', '--uts', 'host'],
        ...['--cgroupns', 'private', '--restart', 'on-failure:3', '--domainname', 'example.org'],
        ...['--health-cmd', 'true', '--health-interval', '2s', '--health-timeout', '1s'],
        ...['--health-retries', '2', '--health-start-period', '1m30s'],
        ...['--blkio-weight-device', '/dev/zero:300', '--device-read-bps', '/dev/null:1.5mb'],
        ...['--device-write-bps', '/dev/null:2k', '--device-read-iops', '/dev/zero:100'],
        ...['--device-write-iops', '/dev/null:5', '--device-write-iops', '/dev/zero:6'],
      ],
      ['--no-healthcheck', '--restart', 'unless-stopped', '--pid', 'host', '--userns', 'host'],
    ];
    const fields = '{{json .HostConfig}}|{{json .Config.Healthcheck}}|{{json .Config.Domainname}}';
    for (const [i, flags] of flagSets.entries()) {
      const [ours, theirs] = await Promise.all([
        cli.berth('create', '--name', `flags-${i}-berth`, ...flags, 'busybox', 'true'),
        cli.docker('create', '--name', `flags-${i}-docker`, ...flags, 'busybox', 'true'),
      ]);
      assert.equal(ours.code, 0, ours.stderr);
      assert.equal(theirs.code, 0, theirs.stderr);
      assert.equal(ours.stderr, asBerth(theirs.stderr));
      const [a, b] = await Promise.all([
        fixture.inspect(fields, `flags-${i}-berth`),
        fixture.inspect(fields, `flags-${i}-docker`),
      ]);
      const picked = (text: string) => {
        const [host, health, domain] = text.split('|');
        const h = JSON.parse(host!) as Record<string, unknown>;
        // The fields the flags set; the two CLIs may differ on untouched defaults.
        const keys = [
          'Memory',
          'MemorySwap',
          'MemoryReservation',
          'MemorySwappiness',
          'OomKillDisable',
          'OomScoreAdj',
          'NanoCpus',
          'CpuShares',
          'CpusetCpus',
          'CpuPeriod',
          'PidsLimit',
          'BlkioWeight',
          'BlkioWeightDevice',
          'BlkioDeviceReadBps',
          'BlkioDeviceWriteBps',
          'BlkioDeviceReadIOps',
          'BlkioDeviceWriteIOps',
          'ShmSize',
          'Ulimits',
          'Devices',
          'DeviceCgroupRules',
          'CgroupParent',
          'CapAdd',
          'CapDrop',
          'SecurityOpt',
          'ReadonlyRootfs',
          'GroupAdd',
          'Sysctls',
          'PidMode',
          'IpcMode',
          'UTSMode',
          'UsernsMode',
          'CgroupnsMode',
          'RestartPolicy',
        ];
        return { host: Object.fromEntries(keys.map((k) => [k, h[k]])), health, domain };
      };
      assert.deepEqual(picked(a), picked(b));
      for (const name of [`flags-${i}-berth`, `flags-${i}-docker`]) await cli.docker('rm', name);
    }
  });

  it('run refuses bad resource, security and health flags with the words and code docker uses', async () => {
    // --cidfile refuses a file that exists: another container may own it.
    const taken = join(fixture.dir, 'taken.cid');
    await writeFile(taken, '');
    const cases = [
      ['run', '--ulimit', 'bad=1', 'busybox'],
      ['run', '--ulimit', 'nofile=5:2', 'busybox'],
      ['run', '--device', 'relative', 'busybox'],
      ['run', '--sysctl', 'kernel.hostname=x', 'busybox'],
      ['run', '--security-opt', 'bogus', 'busybox'],
      ['run', '--security-opt', `seccomp=/berth-missing-${process.pid}.json`, 'busybox'],
      ['run', '--no-healthcheck', '--health-cmd', 'true', 'busybox'],
      ['run', '--health-interval', '5x', 'busybox'],
      ['run', '--rm', '--restart', 'always', 'busybox'],
      ['create', '--cgroupns', 'bogus', 'busybox'],
      ['run', '--gpus', 'bogus=1', 'busybox'],
      ['run', '-m', '12q', 'busybox'],
      ['run', '--device-read-bps', 'sda:1mb', 'busybox'],
      ['run', '--device-write-bps', '/dev/sda:-1', 'busybox'],
      ['run', '--device-read-iops', '/dev/sda:1k', 'busybox'],
      ['run', '--blkio-weight-device', '/dev/sda:5', 'busybox'],
      ['create', '--blkio-weight-device', '/dev/sda', 'busybox'],
      ['run', '--cidfile', taken, 'busybox'],
      ['create', '--cidfile', taken, 'busybox'],
    ];
    const before = (await cli.docker('ps', '-aq')).stdout;
    for (const args of cases) {
      const [ours, theirs] = await cli.both(...args);
      assert.deepEqual([ours.stderr, ours.code], [asBerth(theirs.stderr), theirs.code], args.join(' '));
    }
    assert.equal((await cli.docker('ps', '-aq')).stdout, before, 'no container was made');
  });

  it('ps -s, a .Size template and container inspect -s print what docker prints', async () => {
    const name = `sized-${process.pid}`;
    const made = await cli.docker('run', '--name', name, 'busybox', 'sh', '-c', 'head -c 3000 /dev/zero >/f');
    assert.equal(made.code, 0, made.stderr);
    for (const args of [
      ['ps', '-a', '-s', '--filter', `name=${name}`],
      ['ps', '-a', '--filter', `name=${name}`, '--format', '{{.Names}} {{.Size}}'],
      ['container', 'ls', '-a', '-s', '-q', '--filter', `name=${name}`],
      ['container', 'inspect', '-s', '-f', '{{.Name}} {{.SizeRw}} {{.SizeRootFs}}', name],
    ]) {
      const [ours, theirs] = await cli.both(...args);
      assert.deepEqual(
        [withoutTimes(ours.stdout), ours.stderr, ours.code],
        [withoutTimes(theirs.stdout), asBerth(theirs.stderr), theirs.code],
      );
    }
    const [ours] = await cli.both('ps', '-a', '--filter', `name=${name}`, '--format', '{{.Size}}');
    assert.match(ours.stdout, /^3kB \(virtual [0-9.]+MB\)\n$/);
    await cli.docker('rm', name);
  });

  it('ps --no-trunc, json, .Label, the other fields and template errors print what docker prints', async () => {
    const name = `listed-${process.pid}`;
    const made = await cli.docker(
      'run',
      '-d',
      '--name',
      name,
      '-l',
      'b=2',
      '-l',
      'a=1',
      '-p',
      '127.0.0.1::80',
      'busybox',
      'sh',
      '-c',
      'echo a long command line; sleep 300',
    );
    assert.equal(made.code, 0, made.stderr);
    const only = ['--filter', `name=${name}`];
    for (const args of [
      ['ps', ...only, '--no-trunc'],
      ['ps', ...only, '--format', 'json'],
      ['ps', ...only, '--format', '{{json .}}'],
      ['ps', ...only, '--format', '{{.Label "a"}} {{.Label "none"}} {{.Labels}} {{.CreatedAt}}'],
      ['ps', ...only, '--format', 'table {{.Networks}}\t{{.Mounts}}\t{{.LocalVolumes}}\t{{.State}}'],
      ['ps', ...only, '--format', '{{.ID'],
      ['ps', ...only, '--format', '{{.Label}}'],
      ['ps', ...only, '--format', '{{.Nope}}'],
    ]) {
      const [ours, theirs] = await cli.both(...args);
      assert.deepEqual(
        [withoutTimes(ours.stdout), ours.stderr, ours.code],
        [withoutTimes(theirs.stdout), asBerth(theirs.stderr), theirs.code],
        args.join(' '),
      );
    }
    await cli.docker('rm', '-f', name);
  });

  it('--cidfile gets the container ID, and no file is left when create fails', async () => {
    const file = join(fixture.dir, 'run.cid');
    const ran = await cli.berth('run', '-d', '--cidfile', file, 'busybox', 'sleep', '30');
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(await readFile(file, 'utf8'), ran.stdout.trim());
    await cli.berth('rm', '-f', ran.stdout.trim());
    const failed = join(fixture.dir, 'failed.cid');
    const missing = await cli.berth(
      'run',
      '--pull',
      'never',
      '--cidfile',
      failed,
      `berth-missing-${process.pid}`,
    );
    assert.equal(missing.code, 125);
    assert.equal(existsSync(failed), false);
  });

  it('events --format: Go field names, exact timeNano, sorted attributes, and docker’s template errors', async () => {
    const name = `evented-${process.pid}`;
    assert.equal((await cli.docker('run', '--rm', '--name', name, '-l', 'z=1', 'busybox', 'true')).code, 0);
    // The same window for both CLIs, in whole seconds, past the container's last event.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const now = Math.floor(Date.now() / 1000);
    const window = [
      'events',
      '--since',
      String(now - 60),
      '--until',
      String(now),
      '--filter',
      `container=${name}`,
    ];
    for (const format of [
      '{{json .}}',
      'json',
      '{{.Status}} {{.ID}} {{.From}} {{.Type}} {{.Action}} {{.Scope}} {{.Time}} {{.TimeNano}} {{.Actor.Attributes}}',
      '{{.Nope}}',
      '{{.Nope',
    ]) {
      const [ours, theirs] = await cli.both(...window, '--format', format);
      assert.deepEqual(
        [ours.stdout, ours.stderr, ours.code],
        [theirs.stdout, asBerth(theirs.stderr), theirs.code],
        format,
      );
    }
    const [ours] = await cli.both(...window, '--format', '{{.TimeNano}}');
    assert.match(ours.stdout, /^\d{19}\n/, 'all nineteen digits');
  });
});
