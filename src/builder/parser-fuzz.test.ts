import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { mutatedDockerfile } from '../testing/dockerfile-mutations.js';
import { assertProperty } from '../testing/fuzz.js';
import { BuilderError } from './errors.js';
import { parseBuildPlan } from './instructions.js';

// Mutated Dockerfiles through the parser and the instruction parser: each is a plan or
// a BuilderError naming a line of the file (only an empty file has no line to name);
// never another exception. A hang fails the test by its timeout.

/** Errors that are about the whole file, not one line of it (dockerd's words). */
const WHOLE_FILE = /^file with no instructions$/;

describe('Dockerfile parser, fuzzed', () => {
  it('reads each mutated Dockerfile or names the line it cannot read', { timeout: 120_000 }, async (t) => {
    let plans = 0;
    let refused = 0;
    await assertProperty(
      fc.property(mutatedDockerfile({ keepFrom: false }), ({ text, lineCount }) => {
        try {
          parseBuildPlan(text);
          plans++;
        } catch (err) {
          refused++;
          assert.ok(err instanceof BuilderError, `not a BuilderError: ${(err as Error).stack}\n---\n${text}`);
          if (WHOLE_FILE.test(err.message)) return;
          assert.ok(err.line !== undefined, `${err.message}\n---\n${text}`);
          assert.ok(err.line >= 1 && err.line <= lineCount, `line ${err.line} of ${lineCount}\n---\n${text}`);
          assert.match(err.message, new RegExp(`line ${err.line}: .+`));
        }
      }),
      2000,
    );
    t.diagnostic(`mutated Dockerfiles: ${plans} parsed, ${refused} refused`);
    assert.ok(plans > 0 && refused > 0, `${plans} parsed, ${refused} refused`);
  });
});
