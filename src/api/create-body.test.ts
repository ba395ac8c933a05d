import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BerthError, ErrorKind } from '../core/errors.js';
import { checkCreateBody } from './create-body.js';

const refused = (body: unknown, message: string) =>
  assert.throws(
    () => checkCreateBody(body),
    (err: unknown) =>
      err instanceof BerthError && err.kind === ErrorKind.InvalidArgument && err.message === message,
  );

describe('checkCreateBody', () => {
  it("names the field and its Go type in dockerd's words", () => {
    refused(
      { Image: [] },
      'json: cannot unmarshal array into Go struct field CreateRequest.Image of type string',
    );
    refused(
      { Cmd: 5 },
      'json: cannot unmarshal number 5 into Go struct field CreateRequest.Cmd of type strslice.StrSlice',
    );
    refused(
      { Env: { a: 1 } },
      'json: cannot unmarshal object into Go struct field CreateRequest.Env of type []string',
    );
    refused(
      { Labels: { a: 1 } },
      'json: cannot unmarshal number 1 into Go struct field CreateRequest.Labels of type string',
    );
    refused(
      { HostConfig: { Memory: '1g' } },
      'json: cannot unmarshal string into Go struct field CreateRequest.HostConfig.Memory of type int64',
    );
    refused(
      { HostConfig: { RestartPolicy: { MaximumRetryCount: 1.5 } } },
      'json: cannot unmarshal number 1.5 into Go struct field CreateRequest.HostConfig.RestartPolicy.MaximumRetryCount of type int64',
    );
    refused([], 'json: cannot unmarshal array into Go value of type container.CreateRequest');
  });

  it('matches names case-insensitively, ignores unknown fields and accepts null, as Go does', () => {
    refused(
      { image: 1 },
      'json: cannot unmarshal number 1 into Go struct field CreateRequest.Image of type string',
    );
    checkCreateBody({ Image: null, Cmd: null, HostConfig: null, Whatever: [1, 2] });
  });

  it('accepts the body the Docker CLI sends for a typical run', () => {
    checkCreateBody({
      Hostname: '',
      User: '',
      AttachStdout: true,
      Tty: false,
      Env: ['A=1'],
      Cmd: ['sh', '-c', 'true'],
      Image: 'busybox',
      Volumes: { '/data': {} },
      Entrypoint: null,
      Labels: { a: 'b' },
      ExposedPorts: { '80/tcp': {} },
      Healthcheck: { Test: ['CMD', 'true'], Interval: 1_000_000_000 },
      StopTimeout: 3,
      HostConfig: {
        Binds: ['/a:/b'],
        LogConfig: { Type: '', Config: {} },
        PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] },
        RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
        ConsoleSize: [0, 0],
        CapAdd: ['NET_ADMIN'],
        Memory: 0,
        MemorySwappiness: null,
        Ulimits: [{ Name: 'nofile', Hard: 1024, Soft: 1024 }],
        Mounts: [{ Type: 'volume', Target: '/x' }],
      },
      NetworkingConfig: { EndpointsConfig: { bridge: {} } },
    });
  });
});
