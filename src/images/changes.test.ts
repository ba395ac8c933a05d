import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyChanges } from './changes.js';

describe('import --change', () => {
  it('builds the config dockerd 20.10 builds for the same changes', () => {
    const config = applyChanges([
      'CMD ["sh"]',
      'ENV A=b C=d',
      'EXPOSE 80 8080/udp',
      'WORKDIR sub',
      'WORKDIR x',
      'VOLUME /v1 /v2',
      'LABEL a=b',
      'USER nobody',
      'ENTRYPOINT echo hi',
    ]);
    assert.deepEqual(config, {
      Cmd: ['sh'],
      Env: ['A=b', 'C=d'],
      ExposedPorts: { '80/tcp': {}, '8080/udp': {} },
      WorkingDir: '/sub/x',
      Volumes: { '/v1': {}, '/v2': {} },
      Labels: { a: 'b' },
      User: 'nobody',
      Entrypoint: ['/bin/sh', '-c', 'echo hi'],
    });
  });

  it('lets ENTRYPOINT reset an inherited CMD, replaces ENV values and reads quotes', () => {
    const config = applyChanges(
      ['ENTRYPOINT ["/app"]', 'ENV A=1', 'ENV A="two words" B=\\$x', 'LABEL "k"="v v"'],
      {
        Cmd: ['old'],
        Env: ['A=0', 'PATH=/bin'],
      },
    );
    assert.equal(config.Cmd, null);
    assert.deepEqual(config.Env, ['A=two words', 'PATH=/bin', 'B=$x']);
    assert.deepEqual(config.Labels, { k: 'v v' });
  });

  it('takes the legacy `ENV key value` form, port ranges and JSON volumes', () => {
    const config = applyChanges(['ENV GREETING hello world', 'EXPOSE 7000-7002/udp', 'VOLUME ["/a b"]']);
    assert.deepEqual(config.Env, ['GREETING=hello world']);
    assert.deepEqual(Object.keys(config.ExposedPorts ?? {}), ['7000/udp', '7001/udp', '7002/udp']);
    assert.deepEqual(config.Volumes, { '/a b': {} });
  });

  it("refuses other instructions with dockerd's message", () => {
    assert.throws(() => applyChanges(['FOO bar']), /^BerthError: foo is not a valid change command$/);
    assert.throws(() => applyChanges(['RUN true']), /run is not a valid change command/);
    assert.throws(() => applyChanges(['EXPOSE http']), /invalid containerPort: http/);
  });
});
