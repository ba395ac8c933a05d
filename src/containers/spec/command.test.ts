import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorKind, kindOf } from '../../core/errors.js';
import { processArgs, resolveCommand } from './command.js';
import type { ImageRunConfig } from './request.js';

const argv = (request: { entrypoint?: string[]; cmd?: string[] }, image: ImageRunConfig) => {
  const { path, args } = resolveCommand(request, image);
  return [path, ...args];
};

const failure = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return kindOf(err);
  }
  return undefined;
};

/** Dockerfile forms as image configs store them: shell form is wrapped in /bin/sh -c. */
const execEntry = ['exec_entry', 'p1_entry'];
const shellEntry = ['/bin/sh', '-c', 'exec_entry p1_entry'];
const execCmd = ['exec_cmd', 'p1_cmd'];
const shellCmd = ['/bin/sh', '-c', 'exec_cmd p1_cmd'];

describe("Docker's ENTRYPOINT / CMD table", () => {
  it('no entrypoint, no cmd: no command specified', () => {
    assert.equal(
      failure(() => resolveCommand({}, {})),
      ErrorKind.InvalidArgument,
    );
  });
  it('no entrypoint', () => {
    assert.deepEqual(argv({}, { cmd: execCmd }), ['exec_cmd', 'p1_cmd']);
    assert.deepEqual(argv({}, { cmd: shellCmd }), ['/bin/sh', '-c', 'exec_cmd p1_cmd']);
  });
  it('shell-form entrypoint: cmd lands after the -c string, where sh ignores it', () => {
    assert.deepEqual(argv({}, { entrypoint: shellEntry }), shellEntry);
    assert.deepEqual(argv({}, { entrypoint: shellEntry, cmd: execCmd }), [...shellEntry, ...execCmd]);
    assert.deepEqual(argv({}, { entrypoint: shellEntry, cmd: shellCmd }), [...shellEntry, ...shellCmd]);
  });
  it('exec-form entrypoint: cmd becomes its arguments', () => {
    assert.deepEqual(argv({}, { entrypoint: execEntry }), execEntry);
    assert.deepEqual(argv({}, { entrypoint: execEntry, cmd: execCmd }), [...execEntry, ...execCmd]);
    assert.deepEqual(argv({}, { entrypoint: execEntry, cmd: shellCmd }), [...execEntry, ...shellCmd]);
  });
});

describe('run-time overrides', () => {
  const image = { entrypoint: execEntry, cmd: execCmd };
  it('arguments replace the image cmd and keep its entrypoint', () => {
    assert.deepEqual(argv({ cmd: ['a', 'b'] }, image), [...execEntry, 'a', 'b']);
  });
  it('--entrypoint drops the image cmd', () => {
    assert.deepEqual(argv({ entrypoint: ['/bin/x'] }, image), ['/bin/x']);
    assert.deepEqual(argv({ entrypoint: ['/bin/x'], cmd: ['y'] }, image), ['/bin/x', 'y']);
  });
  it('--entrypoint "" with arguments runs the arguments', () => {
    assert.deepEqual(argv({ entrypoint: [''], cmd: ['echo', 'hi'] }, image), ['echo', 'hi']);
  });
  it('--entrypoint "" without arguments has nothing to run', () => {
    assert.equal(
      failure(() => resolveCommand({ entrypoint: [''] }, image)),
      ErrorKind.InvalidArgument,
    );
  });
  it('an explicit empty entrypoint keeps the image cmd but not its entrypoint', () => {
    assert.deepEqual(argv({ entrypoint: [] }, image), execCmd);
  });
  it('an image entrypoint of [""] counts as none', () => {
    assert.deepEqual(argv({}, { entrypoint: [''], cmd: ['sh'] }), ['sh']);
  });
  it('null image fields are absent', () => {
    assert.deepEqual(argv({ cmd: ['true'] }, { entrypoint: null, cmd: null }), ['true']);
  });
});

describe('processArgs', () => {
  it('puts docker-init in front with --init', () => {
    assert.deepEqual(processArgs({ path: 'sleep', args: ['9'] }, true), [
      '/sbin/docker-init',
      '--',
      'sleep',
      '9',
    ]);
    assert.deepEqual(processArgs({ path: 'sleep', args: ['9'] }, false), ['sleep', '9']);
  });
});
