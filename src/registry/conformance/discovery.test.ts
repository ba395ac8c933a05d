/**
 * OCI Distribution Specification v1.1, "Content discovery": tag listing with
 * `n`/`last` pagination and the referrers API (with the artifactType
 * filter), checked against a real berth-registry process. The catalog is
 * Docker's extension; its pagination is checked here too.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OciMediaType } from '../../core/descriptor.js';
import { sha256Of } from '../../core/digest.js';
import { type ConformanceRegistry, EMPTY_CONFIG, ociManifest, startConformanceRegistry } from './client.js';

interface Index {
  schemaVersion: number;
  mediaType: string;
  manifests: {
    mediaType: string;
    digest: string;
    size: number;
    artifactType?: string;
    annotations?: Record<string, string>;
  }[];
}

describe('OCI distribution-spec v1.1: content discovery', () => {
  let r: ConformanceRegistry;
  // Out of order on purpose: the listing must sort them.
  const tags = ['v2', 'latest', 'v10', 'V1', 'alpha', 'v1'];
  before(async () => {
    r = await startConformanceRegistry();
    const { bytes } = await r.pushImage('disc/app', 'seed');
    for (const tag of tags) assert.equal((await r.putManifest('disc/app', tag, bytes)).status, 201);
  });
  after(() => r?.stop());

  describe('tags', () => {
    it('lists every tag in lexical order with the repository name', async () => {
      const answer = await r.request('GET', '/v2/disc/app/tags/list');
      assert.equal(answer.status, 200);
      const expected = [...tags, 'seed'].sort();
      assert.deepEqual(answer.json(), { name: 'disc/app', tags: expected });
    });

    it('pages with n and last, with a Link rel="next" to the next page', async () => {
      const all = [...tags, 'seed'].sort();
      const seen: string[] = [];
      let path: string | undefined = '/v2/disc/app/tags/list?n=3';
      for (let pages = 0; path && pages < 10; pages++) {
        const answer = await r.request('GET', path);
        assert.equal(answer.status, 200);
        const page = answer.json<{ tags: string[] }>().tags;
        assert.ok(page.length <= 3);
        seen.push(...page);
        const link = answer.headers.get('link');
        if (link) assert.match(link, /^<[^>]+>; rel="next"$/);
        path = link ? /^<([^>]+)>/.exec(link)?.[1] : undefined;
      }
      assert.deepEqual(seen, all);
      const after = await r.request('GET', `/v2/disc/app/tags/list?n=2&last=${all[2]}`);
      assert.deepEqual(after.json<{ tags: string[] }>().tags, all.slice(3, 5));
      const rest = await r.request('GET', `/v2/disc/app/tags/list?last=${all[4]}`);
      assert.deepEqual(rest.json<{ tags: string[] }>().tags, all.slice(5));
    });

    it('n=0 gives an empty list and no Link header', async () => {
      const answer = await r.request('GET', '/v2/disc/app/tags/list?n=0');
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.json<{ tags: string[] }>().tags, []);
      assert.equal(answer.headers.get('link'), null);
    });

    it('answers 404 NAME_UNKNOWN for a repository that does not exist, whatever n is', async () => {
      for (const query of ['', '?n=0', '?n=5']) {
        const answer = await r.request('GET', `/v2/disc/absent/tags/list${query}`);
        assert.equal(answer.status, 404, query);
        assert.equal(answer.errorCode(), 'NAME_UNKNOWN', query);
      }
    });

    it('refuses a malformed n with 400', async () => {
      const answer = await r.request('GET', '/v2/disc/app/tags/list?n=-1');
      assert.equal(answer.status, 400);
    });
  });

  describe('referrers', () => {
    let subject: { digest: string; bytes: Buffer };
    const referrer = async (artifactType: string | undefined, annotations: Record<string, string>) => {
      const config = artifactType
        ? EMPTY_CONFIG
        : { ...EMPTY_CONFIG, mediaType: 'application/vnd.example.config' };
      const body = ociManifest(config, [], {
        ...(artifactType ? { artifactType } : {}),
        subject: { mediaType: OciMediaType.manifest, digest: subject.digest, size: subject.bytes.length },
        annotations,
      });
      const put = await r.putManifest('disc/refs', sha256Of(body), body);
      assert.equal(put.status, 201);
      return { digest: sha256Of(body), size: body.length };
    };
    let signature: { digest: string; size: number };
    let sbom: { digest: string; size: number };
    let untyped: { digest: string; size: number };
    before(async () => {
      subject = await r.pushImage('disc/refs', 'v1');
      await r.pushBlob('disc/refs', '{}');
      await r.pushBlob('disc/refs', '{}\n');
      signature = await referrer('application/vnd.example.signature', { 'org.example.kind': 'signature' });
      sbom = await referrer('application/vnd.example.sbom', { 'org.example.kind': 'sbom' });
      untyped = await referrer(undefined, {});
    });

    it('answers an OCI image index of descriptors with artifactType and annotations', async () => {
      const answer = await r.request('GET', `/v2/disc/refs/referrers/${subject.digest}`);
      assert.equal(answer.status, 200);
      assert.equal(answer.headers.get('content-type'), OciMediaType.index);
      const index = answer.json<Index>();
      assert.equal(index.schemaVersion, 2);
      assert.equal(index.mediaType, OciMediaType.index);
      const byDigest = new Map(index.manifests.map((d) => [d.digest, d]));
      assert.equal(byDigest.size, 3);
      assert.deepEqual(byDigest.get(signature.digest), {
        mediaType: OciMediaType.manifest,
        digest: signature.digest,
        size: signature.size,
        artifactType: 'application/vnd.example.signature',
        annotations: { 'org.example.kind': 'signature' },
      });
      assert.equal(byDigest.get(sbom.digest)?.annotations?.['org.example.kind'], 'sbom');
      // Without artifactType, a manifest's config media type stands in.
      assert.equal(byDigest.get(untyped.digest)?.artifactType, 'application/vnd.example.config');
    });

    it('filters on artifactType and says so in OCI-Filters-Applied', async () => {
      const answer = await r.request(
        'GET',
        `/v2/disc/refs/referrers/${subject.digest}?artifactType=${encodeURIComponent('application/vnd.example.sbom')}`,
      );
      assert.equal(answer.status, 200);
      assert.equal(answer.headers.get('oci-filters-applied'), 'artifactType');
      assert.deepEqual(
        answer.json<Index>().manifests.map((d) => d.digest),
        [sbom.digest],
      );
      const unfiltered = await r.request('GET', `/v2/disc/refs/referrers/${subject.digest}`);
      assert.equal(unfiltered.headers.get('oci-filters-applied'), null);
    });

    it('answers an empty index, never 404, for a digest nothing refers to', async () => {
      for (const repository of ['disc/refs', 'disc/never-pushed']) {
        const answer = await r.request('GET', `/v2/${repository}/referrers/${sha256Of('nobody')}`);
        assert.equal(answer.status, 200, repository);
        assert.deepEqual(answer.json<Index>().manifests, []);
      }
    });

    it('answers 400 for a malformed digest', async () => {
      const answer = await r.request('GET', '/v2/disc/refs/referrers/sha256:nothex');
      assert.equal(answer.status, 400);
      assert.equal(answer.errorCode(), 'DIGEST_INVALID');
    });

    it('lists an index referrer without artifactType without inventing one', async () => {
      const body = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OciMediaType.index,
          manifests: [],
          subject: { mediaType: OciMediaType.manifest, digest: subject.digest, size: subject.bytes.length },
        }),
      );
      const put = await r.putManifest('disc/refs', sha256Of(body), body, OciMediaType.index);
      assert.equal(put.status, 201);
      const index = (await r.request('GET', `/v2/disc/refs/referrers/${subject.digest}`)).json<Index>();
      const entry = index.manifests.find((d) => d.digest === sha256Of(body));
      assert.equal(entry?.mediaType, OciMediaType.index);
      assert.equal(entry?.artifactType, undefined);
    });
  });

  it('catalog: lists repositories with n/last pagination and Link', async () => {
    const first = await r.request('GET', '/v2/_catalog?n=1');
    assert.equal(first.status, 200);
    const page = first.json<{ repositories: string[] }>().repositories;
    assert.equal(page.length, 1);
    assert.match(first.headers.get('link') ?? '', /rel="next"/);
    const all = (await r.request('GET', '/v2/_catalog')).json<{ repositories: string[] }>().repositories;
    assert.deepEqual(all, [...all].sort());
    assert.ok(all.includes('disc/app') && all.includes('disc/refs'));
  });
});
