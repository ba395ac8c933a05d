/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile variables are the subject of these tests */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBuildPlan } from './instructions.js';
import { parseDockerfile } from './parser.js';

describe('Dockerfile parser', () => {
  it('joins continuations, drops comments inside them and keeps line numbers', () => {
    const parsed = parseDockerfile(
      'FROM busybox\n# a comment\nRUN echo a && \\\n  # inside\n  echo b\n\nCMD ["sh"]\n',
    );
    assert.deepEqual(
      parsed.nodes.map((n) => [n.instruction, n.args, n.startLine, n.endLine]),
      [
        ['from', 'busybox', 1, 1],
        ['run', 'echo a &&   echo b', 3, 5],
        ['cmd', '["sh"]', 7, 7],
      ],
    );
  });

  it('honours the escape directive only at the top', () => {
    const parsed = parseDockerfile('# escape=`\nFROM busybox\nRUN dir c:\\ `\n  && echo x\n');
    assert.equal(parsed.escape, '`');
    assert.equal(parsed.nodes[1]!.args, 'dir c:\\   && echo x');
    const late = parseDockerfile('FROM busybox\n# escape=`\nRUN a \\\n b\n');
    assert.equal(late.escape, '\\');
    assert.equal(late.nodes[1]!.args, 'a  b');
  });

  it('reads flags, stages, ARG before FROM and exec/shell forms', () => {
    const plan = parseBuildPlan(
      'ARG BASE=busybox\nFROM --platform=linux/amd64 ${BASE} AS Build\nRUN ["sh","-c","true"]\nCOPY --from=build --chown=1:2 a b /dst/\nFROM build\nCMD echo hi\n',
    );
    assert.equal(plan.metaArgs.length, 1);
    assert.equal(plan.stages[0]!.name, 'build');
    assert.equal(plan.stages[0]!.platform, 'linux/amd64');
    assert.deepEqual(plan.stages[0]!.commands[0], {
      line: 3,
      original: 'RUN ["sh","-c","true"]',
      kind: 'run',
      command: { exec: ['sh', '-c', 'true'] },
    });
    const copy = plan.stages[0]!.commands[1]!;
    assert.ok(copy.kind === 'copy');
    assert.deepEqual([copy.sources, copy.dest, copy.from, copy.chown], [['a', 'b'], '/dst/', 'build', '1:2']);
    assert.deepEqual(plan.stages[1]!.commands[0]!.kind === 'cmd' && plan.stages[1]!.commands[0]!.command, {
      shell: 'echo hi',
    });
  });

  it('names the line of an unknown instruction and of bad syntax', () => {
    assert.throws(() => parseBuildPlan('FROM busybox\n\nFOO bar\n'), {
      message: 'dockerfile parse error line 3: unknown instruction: FOO',
    });
    assert.throws(() => parseBuildPlan('FROM busybox\nENV A\n'), {
      message: 'dockerfile parse error line 2: ENV must have two arguments',
    });
    assert.throws(() => parseBuildPlan('RUN true\n'), {
      message: 'dockerfile parse error line 1: no build stage in current context',
    });
    assert.throws(() => parseBuildPlan('FROM busybox\nCOPY --bogus=1 a b\n'), {
      message: 'dockerfile parse error line 2: Unknown flag: bogus',
    });
    assert.throws(() => parseBuildPlan('FROM a b\n'), {
      message: 'dockerfile parse error line 1: FROM requires either one or three arguments',
    });
    assert.throws(() => parseBuildPlan('FROM busybox\nHEALTHCHECK BOGUS x\n'), {
      message: 'dockerfile parse error line 2: Unknown type "BOGUS" in HEALTHCHECK (try CMD)',
    });
  });

  it('reads ENV in both syntaxes and HEALTHCHECK options', () => {
    const plan = parseBuildPlan(
      'FROM x\nENV A=1 B="two words"\nENV C three words\nHEALTHCHECK --interval=5m --retries=3 CMD curl -f http://x/\n',
    );
    const [env1, env2, health] = plan.stages[0]!.commands;
    assert.deepEqual(env1!.kind === 'env' && env1!.pairs, [
      ['A', '1'],
      ['B', '"two words"'],
    ]);
    assert.deepEqual(env2!.kind === 'env' && env2!.pairs, [['C', 'three words']]);
    assert.deepEqual(health!.kind === 'healthcheck' && [health!.test, health!.options], [
      ['CMD-SHELL', 'curl -f http://x/'],
      { interval: 300e9, retries: 3 },
    ]);
  });
});
