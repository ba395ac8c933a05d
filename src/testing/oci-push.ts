/**
 * A minimal OCI push/pull client over plain HTTP for registry tests: whole or chunked
 * (POST, PATCH with Content-Range, PUT ?digest) blob uploads and one-layer images.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';

export const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';
export const digestOf = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

export interface OciPusher {
  uploadChunked(repo: string, bytes: Buffer, chunk: number): Promise<string>;
  uploadWhole(repo: string, bytes: Buffer): Promise<string>;
  /** An image of one layer (config, layer, manifest under `tag`); the manifest digest. */
  image(repo: string, tag: string, layer: Buffer, chunk?: number): Promise<string>;
  /** The image's layer, read back. */
  pullLayer(repo: string, tag: string): Promise<Buffer>;
}

/** The bytes of an OCI image manifest of one config and one (uncompressed tar) layer. */
export function imageManifest(
  config: { digest: string; size: number },
  layer: { digest: string; size: number },
): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST_TYPE,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
    }),
  );
}

/** A pusher for the registry at `address()` (host:port; asked per call, as restarts change it). */
export function ociPusher(address: () => string): OciPusher {
  const url = (path: string) => `http://${address()}${path}`;
  const uploadChunked = async (repo: string, bytes: Buffer, chunk: number): Promise<string> => {
    const digest = digestOf(bytes);
    const begun = await fetch(url(`/v2/${repo}/blobs/uploads/`), { method: 'POST' });
    assert.equal(begun.status, 202);
    let location = new URL(begun.headers.get('location')!, url('/')).toString();
    for (let offset = 0; offset < bytes.length; offset += chunk) {
      const part = bytes.subarray(offset, offset + chunk);
      const patched = await fetch(location, {
        method: 'PATCH',
        headers: {
          'content-type': 'application/octet-stream',
          'content-range': `${offset}-${offset + part.length - 1}`,
        },
        body: part,
      });
      assert.equal(patched.status, 202, await patched.text());
      location = new URL(patched.headers.get('location')!, url('/')).toString();
    }
    const done = await fetch(`${location}${location.includes('?') ? '&' : '?'}digest=${digest}`, {
      method: 'PUT',
    });
    assert.equal(done.status, 201, await done.text());
    return digest;
  };
  const uploadWhole = async (repo: string, bytes: Buffer): Promise<string> => {
    const digest = digestOf(bytes);
    const r = await fetch(url(`/v2/${repo}/blobs/uploads/?digest=${digest}`), {
      method: 'POST',
      body: bytes,
    });
    if (r.status === 202) {
      // A registry without monolithic POST (CNCF Distribution) opened a session: PUT the bytes to it.
      await r.body?.cancel();
      const location = new URL(r.headers.get('location')!, url('/')).toString();
      const put = await fetch(`${location}${location.includes('?') ? '&' : '?'}digest=${digest}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream' },
        body: bytes,
      });
      assert.equal(put.status, 201, await put.text());
      return digest;
    }
    assert.equal(r.status, 201, await r.text());
    return digest;
  };
  return {
    uploadChunked,
    uploadWhole,
    async image(repo, tag, layer, chunk) {
      const layerDigest = chunk ? await uploadChunked(repo, layer, chunk) : await uploadWhole(repo, layer);
      const config = Buffer.from(
        JSON.stringify({
          architecture: 'amd64',
          os: 'linux',
          rootfs: { type: 'layers', diff_ids: [layerDigest] },
        }),
      );
      const configDigest = await uploadWhole(repo, config);
      const manifest = imageManifest(
        { digest: configDigest, size: config.length },
        { digest: layerDigest, size: layer.length },
      );
      const put = await fetch(url(`/v2/${repo}/manifests/${tag}`), {
        method: 'PUT',
        headers: { 'content-type': MANIFEST_TYPE },
        body: manifest,
      });
      assert.equal(put.status, 201, await put.text());
      return digestOf(manifest);
    },
    async pullLayer(repo, tag) {
      const m = await fetch(url(`/v2/${repo}/manifests/${tag}`), { headers: { accept: MANIFEST_TYPE } });
      assert.equal(m.status, 200);
      const { layers } = (await m.json()) as { layers: { digest: string }[] };
      const blob = await fetch(url(`/v2/${repo}/blobs/${layers[0]!.digest}`));
      assert.equal(blob.status, 200);
      return Buffer.from(await blob.arrayBuffer());
    },
  };
}
