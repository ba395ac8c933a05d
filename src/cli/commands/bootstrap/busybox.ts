/**
 * A busybox root filesystem like the official image's, built from Debian's
 * statically linked busybox: every applet hard-linked to /bin/busybox at the
 * path `busybox --list-full` gives it, buildroot's /etc/passwd, /etc/group and
 * /etc/shadow, /root, /home, /tmp (1777) and /var.
 */
import { open, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { CliContext } from '../../context.js';
import { requireProgram, runProgram } from './host-tools.js';
import { type TarEntry, tarStream } from './tar-writer.js';

/** buildroot's skeleton accounts, which the official busybox image ships. */
const PASSWD = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
`;
const GROUP = `root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
kmem:x:9:
wheel:x:10:root
cdrom:x:11:
dialout:x:18:
floppy:x:19:
video:x:28:
audio:x:29:
tape:x:32:
www-data:x:33:
operator:x:37:
utmp:x:43:
plugdev:x:46:
staff:x:50:
lock:x:54:
netdev:x:82:
users:x:100:
nogroup:x:65534:
`;
const SHADOW = PASSWD.split('\n')
  .filter(Boolean)
  .map((line) => `${line.split(':')[0]}:${line.startsWith('root:') ? '' : '*'}:10933:0:99999:7:::`)
  .join('\n')
  .concat('\n');

const BUSYBOX_PATH = 'bin/busybox';
const FIXED_DIRS: readonly [string, number][] = [
  ['bin', 0o755],
  ['dev', 0o755],
  ['etc', 0o755],
  ['home', 0o755],
  ['root', 0o700],
  ['tmp', 0o1777],
  ['usr', 0o755],
  ['var', 0o755],
  ['var/spool', 0o755],
  ['var/spool/mail', 0o755],
  ['var/www', 0o755],
];

/** Whether an ELF executable has no program interpreter, i.e. is statically linked. */
export async function isStaticElf(path: string): Promise<boolean> {
  const file = await open(path, 'r');
  try {
    const header = Buffer.alloc(64);
    await file.read(header, 0, 64, 0);
    if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2) return false;
    const phoff = Number(header.readBigUInt64LE(0x20));
    const phentsize = header.readUInt16LE(0x36);
    const phnum = header.readUInt16LE(0x38);
    const table = Buffer.alloc(phentsize * phnum);
    await file.read(table, 0, table.length, phoff);
    for (let i = 0; i < phnum; i++) if (table.readUInt32LE(i * phentsize) === 3) return false;
    return true;
  } finally {
    await file.close();
  }
}

/** The root filesystem's entries, in a fixed order. */
export function busyboxEntries(
  binary: { path: string; size: number },
  applets: readonly string[],
): TarEntry[] {
  // linuxrc is an initrd's init, installed at the root; an image has no use for it.
  const links = applets.filter((a) => a !== BUSYBOX_PATH && a.includes('/')).sort();
  const dirs = new Map<string, number>(FIXED_DIRS);
  for (const link of links) {
    const parts = link.split('/').slice(0, -1);
    parts.forEach((_p, i) => {
      const dir = parts.slice(0, i + 1).join('/');
      if (!dirs.has(dir)) dirs.set(dir, 0o755);
    });
  }
  return [
    ...[...dirs]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([path, mode]): TarEntry => ({ type: 'dir', path, mode })),
    { type: 'disk-file', path: BUSYBOX_PATH, mode: 0o755, source: binary.path, size: binary.size },
    ...links.map((path): TarEntry => ({ type: 'hardlink', path, target: BUSYBOX_PATH, mode: 0o755 })),
    { type: 'file', path: 'etc/group', mode: 0o644, content: Buffer.from(GROUP) },
    { type: 'file', path: 'etc/passwd', mode: 0o644, content: Buffer.from(PASSWD) },
    { type: 'file', path: 'etc/shadow', mode: 0o600, content: Buffer.from(SHADOW) },
  ];
}

/** Finds (or installs) Debian's static busybox and streams the root filesystem made from it. */
export async function busyboxRootfs(ctx: CliContext): Promise<Readable> {
  let binary = await requireProgram(ctx, 'busybox', 'busybox-static');
  if (!(await isStaticElf(binary))) {
    ctx.err(`${binary} is not statically linked: installing the Debian package busybox-static\n`);
    await runProgram('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'busybox-static'], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    binary = await requireProgram(ctx, 'busybox', 'busybox-static');
    if (!(await isStaticElf(binary))) throw new Error(`${binary} is not statically linked`);
  }
  const info = await stat(binary);
  const applets = (await runProgram(binary, ['--list-full'], { capture: true })).split('\n').filter(Boolean);
  const version = (await runProgram(binary, ['--help'], { capture: true }).catch(() => '')).split('\n')[0];
  ctx.err(
    `Building busybox from ${binary}${version ? ` (${version.trim()})` : ''}: ${applets.length} applets\n`,
  );
  const entries = busyboxEntries({ path: binary, size: info.size }, applets);
  return tarStream(entries, { uid: 0, gid: 0, mtime: Math.trunc(info.mtimeMs / 1000) });
}
