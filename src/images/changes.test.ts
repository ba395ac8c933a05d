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

  it('takes HEALTHCHECK as dockerd 20.10 does: shell and exec forms, NONE, durations in ns', () => {
    assert.deepEqual(
      applyChanges(['HEALTHCHECK --interval=1m30s --retries=3 CMD curl -f http://x || exit 1']),
      {
        Healthcheck: { Test: ['CMD-SHELL', 'curl -f http://x || exit 1'], Interval: 90e9, Retries: 3 },
      },
    );
    assert.deepEqual(applyChanges(['HEALTHCHECK --start-period=1.5s CMD ["/check", "a"]']).Healthcheck, {
      Test: ['CMD', '/check', 'a'],
      StartPeriod: 1.5e9,
    });
    assert.deepEqual(applyChanges(['HEALTHCHECK NONE']).Healthcheck, { Test: ['NONE'] });
  });

  it("refuses bad HEALTHCHECKs and STOPSIGNAL with dockerd 20.10's messages", () => {
    const refused = (change: string) => () => applyChanges([change]);
    assert.throws(
      refused('HEALTHCHECK --timeout=500us CMD true'),
      /^BerthError: Interval "timeout" cannot be less than 1ms$/,
    );
    assert.throws(
      refused('HEALTHCHECK --interval=0s CMD true'),
      /Interval "interval" cannot be less than 1ms/,
    );
    assert.throws(refused('HEALTHCHECK --interval=5 CMD true'), /time: missing unit in duration "5"/);
    assert.throws(refused('HEALTHCHECK --interval=5x CMD true'), /time: unknown unit "x" in duration "5x"/);
    assert.throws(refused('HEALTHCHECK --bogus=1 CMD true'), /Unknown flag: bogus/);
    assert.throws(refused('HEALTHCHECK --interval CMD x'), /Missing a value on flag: interval/);
    assert.throws(refused('HEALTHCHECK FOO x'), /Unknown type "FOO" in HEALTHCHECK \(try CMD\)/);
    assert.throws(refused('HEALTHCHECK CMD'), /Missing command after HEALTHCHECK CMD/);
    assert.throws(refused('HEALTHCHECK NONE x'), /HEALTHCHECK NONE takes no arguments/);
    assert.throws(refused('HEALTHCHECK --retries=0 CMD x'), /--retries must be at least 1 \(not 0\)/);
    assert.throws(refused('HEALTHCHECK'), /HEALTHCHECK requires at least one argument/);
    assert.throws(refused('STOPSIGNAL SIGTERM'), /stopsignal is not a valid change command/);
  });
});
