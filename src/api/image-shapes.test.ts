import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ImageDetails, ImageSummary } from '../images/views.js';
import { containerConfigJson, deleteItemsJson, imageInspectJson, imageSummaryJson } from './image-shapes.js';

const summary: ImageSummary = {
  id: 'sha256:5228ba304284ab05ba9e5982433ac76385ef07e1c141ef6a445c7950f5652b37',
  parentId: '',
  repoTags: [],
  repoDigests: [],
  created: 1795925678,
  size: 3967854,
  sharedSize: -1,
  labels: { z: '1', a: '2' },
  containers: -1,
};

const details: ImageDetails = {
  id: summary.id,
  repoTags: ['fixture/layers:latest'],
  repoDigests: [],
  parent: '',
  comment: '',
  created: '2026-11-29T04:14:38.122292847Z',
  container: '',
  containerConfig: {},
  dockerVersion: '',
  author: '',
  config: { Cmd: ['sh'] },
  architecture: 'amd64',
  os: 'linux',
  size: 1,
  graphDriver: { name: 'overlay2', data: null },
  rootFS: { type: 'layers', layers: [] },
  lastTagTime: '0001-01-01T00:00:00Z',
};

describe('image JSON shapes', () => {
  it('ImageSummary: <none> placeholders and VirtualSize only for old clients, sorted labels', () => {
    const old = imageSummaryJson(summary, '1.41');
    assert.deepEqual(
      [old.RepoTags, old.RepoDigests, old.VirtualSize],
      [['<none>:<none>'], ['<none>@<none>'], 3967854],
    );
    const current = imageSummaryJson(summary, '1.45');
    assert.deepEqual([current.RepoTags, current.RepoDigests, 'VirtualSize' in current], [[], [], false]);
    assert.deepEqual(Object.keys(current.Labels ?? {}), ['a', 'z']);
    assert.deepEqual(Object.keys(current), [
      'Containers',
      'Created',
      'Id',
      'Labels',
      'ParentId',
      'RepoDigests',
      'RepoTags',
      'SharedSize',
      'Size',
    ]);
    const tagged = imageSummaryJson({ ...summary, repoTags: ['x:1'] }, '1.41');
    assert.equal(tagged.RepoDigests, null, 'dockerd 20.10 sends null for no digests');
  });

  it('ImageInspect: Container and ContainerConfig before 1.45, VirtualSize before 1.44', () => {
    const old = imageInspectJson(details, '1.41');
    assert.ok('ContainerConfig' in old && 'VirtualSize' in old);
    const current = imageInspectJson(details, '1.45');
    assert.ok(!('ContainerConfig' in current) && !('VirtualSize' in current) && !('Container' in current));
    assert.deepEqual(Object.keys(current.GraphDriver), ['Data', 'Name']);
  });

  it("container configs marshal like Go's container.Config", () => {
    const json = containerConfigJson({ Cmd: ['sh'], ExposedPorts: {}, Labels: { b: '1', a: '2' } });
    assert.equal('ExposedPorts' in json, false, 'omitempty');
    assert.deepEqual(
      [json.Env, json.Volumes, json.Entrypoint, json.OnBuild, json.Hostname],
      [null, null, null, null, ''],
    );
    assert.deepEqual(Object.keys(json.Labels ?? {}), ['a', 'b']);
  });

  it('delete items are Untagged or Deleted', () => {
    assert.deepEqual(deleteItemsJson([{ untagged: 'bb:t2' }, { deleted: 'sha256:x' }]), [
      { Untagged: 'bb:t2' },
      { Deleted: 'sha256:x' },
    ]);
  });
});
