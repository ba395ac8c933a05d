import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  eraseCredentials,
  getCredentials,
  HUB_SERVER,
  registryAuthHeader,
  registryOfServerAddress,
  storeCredentials,
} from './credentials.js';

/** A docker-credential-* helper that keeps its secrets in one JSON file, as the protocol asks. */
const HELPER = `#!/bin/sh
store="$(dirname "$0")/helper-store.json"
[ -f "$store" ] || echo '{}' > "$store"
input=$(cat)
case "$1" in
  store) node -e 'const fs=require("fs");const s=JSON.parse(fs.readFileSync(process.argv[1]));const c=JSON.parse(process.argv[2]);s[c.ServerURL]=c;fs.writeFileSync(process.argv[1],JSON.stringify(s))' "$store" "$input" ;;
  get) node -e 'const fs=require("fs");const s=JSON.parse(fs.readFileSync(process.argv[1]));const c=s[process.argv[2]];if(!c){console.log("credentials not found in native keychain");process.exit(1)}console.log(JSON.stringify({ServerURL:c.ServerURL,Username:c.Username,Secret:c.Secret}))' "$store" "$input" ;;
  erase) node -e 'const fs=require("fs");const s=JSON.parse(fs.readFileSync(process.argv[1]));delete s[process.argv[2]];fs.writeFileSync(process.argv[1],JSON.stringify(s))' "$store" "$input" ;;
esac
`;

describe('client credentials (config.json)', () => {
  let dir: string;
  const saved = { config: process.env.BERTH_CONFIG, path: process.env.PATH };
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-credentials-'));
    process.env.BERTH_CONFIG = dir;
    await writeFile(join(dir, 'docker-credential-berthtest'), HELPER);
    await chmod(join(dir, 'docker-credential-berthtest'), 0o755);
    process.env.PATH = `${dir}:${process.env.PATH}`;
  });
  after(async () => {
    process.env.BERTH_CONFIG = saved.config;
    process.env.PATH = saved.path;
    if (saved.config === undefined) delete process.env.BERTH_CONFIG;
    await rm(dir, { recursive: true, force: true });
  });

  it('reads server addresses as docker does', () => {
    assert.equal(registryOfServerAddress(''), 'docker.io');
    assert.equal(registryOfServerAddress(HUB_SERVER), 'docker.io');
    assert.equal(registryOfServerAddress('https://r.example:5000/v2/'), 'r.example:5000');
  });

  it("keeps docker's config.json shape, keyed by Hub's URL for docker.io", async () => {
    await storeCredentials('docker.io', { username: 'alice', password: 'pw:1' });
    await storeCredentials('r.example:5000', { username: 'bob', password: 'x' });
    const file = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    assert.equal(file.auths[HUB_SERVER].auth, Buffer.from('alice:pw:1').toString('base64'));
    assert.deepEqual(await getCredentials('docker.io'), {
      serveraddress: HUB_SERVER,
      username: 'alice',
      password: 'pw:1',
    });
    const header = JSON.parse(
      Buffer.from(await registryAuthHeader('r.example:5000'), 'base64url').toString(),
    );
    assert.deepEqual(header, { serveraddress: 'r.example:5000', username: 'bob', password: 'x' });
    assert.equal(await eraseCredentials('r.example:5000'), true);
    assert.deepEqual(await getCredentials('r.example:5000'), {});
    assert.equal(await eraseCredentials('r.example:5000'), false);
  });

  it('goes through the helper credHelpers or credsStore names, keeping no secret in config.json', async () => {
    await writeFile(join(dir, 'config.json'), JSON.stringify({ credHelpers: { 'h.example': 'berthtest' } }));
    await storeCredentials('h.example', { username: 'carol', password: 'secret' });
    const file = await readFile(join(dir, 'config.json'), 'utf8');
    assert.ok(!file.includes('secret'));
    assert.deepEqual(await getCredentials('h.example'), {
      username: 'carol',
      password: 'secret',
      serveraddress: 'h.example',
    });
    assert.deepEqual(await getCredentials('other.example'), {});
    await eraseCredentials('h.example');
    assert.deepEqual(await getCredentials('h.example'), {});
  });
});
