/**
 * Runs a build plan the way dockerd's legacy builder does: each instruction
 * is a step that makes an image (RUN in a real container whose diff is
 * committed, COPY/ADD/WORKDIR as a layer written directly, the rest as
 * `empty_layer` history), with "Step i/n" output and a per-step cache.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import type { ContainerService } from '../containers/service.js';
import type { Digest } from '../core/digest.js';
import { ErrorKind, isKind, kindOf } from '../core/errors.js';
import { fullDiskNote } from '../core/full-disk.js';
import type { Logger } from '../core/logger.js';
import type { ImageEntry } from '../images/catalog.js';
import type { ContainerConfig } from '../images/config.js';
import { snapshotRef } from '../images/layers.js';
import { IMAGE_LEASE_LABEL } from '../images/leases.js';
import type { ImageService } from '../images/service.js';
import type { KeyValueStore } from '../metadata/kv.js';
import type { LeaseStore } from '../metadata/leases.js';
import { mountAll, unmount } from '../snapshots/mount.js';
import type { Snapshotter } from '../snapshots/snapshotter.js';
import { commitRecord, overlayDirs } from './commit.js';
import {
  type CopyEntry,
  CopySourceError,
  copyLayer,
  type FetchedSource,
  parentEntries,
  planCopy,
} from './copy.js';
import type { PatternMatcher } from './dockerignore.js';
import { BuilderError, stepError } from './errors.js';
import { fullConfig, goDuration, goQuoteList, goQuoteRune } from './go-format.js';
import { type BuildPlan, type Instruction, parseInstruction, type Stage } from './instructions.js';
import { BUILD_CONTAINER_LABEL } from './labels.js';
import { parseDockerfile } from './parser.js';
import { resolveInScope } from './scope.js';
import { ShellLex, SubstitutionError, varsOf } from './shell-lex.js';

/** What a build runs on. */
export interface ExecutorDeps {
  images: ImageService;
  containers: ContainerService;
  snapshotter: Snapshotter;
  leases: LeaseStore;
  kv: KeyValueStore;
  log: Logger;
}

/** The build's options, from POST /build's query. */
export interface BuildOptions {
  tags: string[];
  dockerfile: string;
  buildArgs: Record<string, string | null>;
  labels: Record<string, string>;
  target?: string;
  noCache: boolean;
  rm: boolean;
  forceRm: boolean;
  networkMode?: string;
  cacheFrom: string[];
  /** `os/arch[/variant]` the images must be for (`--platform`). */
  platform?: string;
  hostConfig: Record<string, unknown>;
  signal?: AbortSignal;
  /** `--pull`: fetch every FROM image even when it is present. */
  pull?: boolean;
  /**
   * Fetches a FROM image from its registry (with the build's credentials and
   * progress going to the build's output); without it, base images must be local.
   */
  pullImage?: (name: string, platform: string | undefined) => Promise<void>;
}

/** Where the build's output goes: `stream` lines and `aux` records. */
export interface BuildOutput {
  stream(text: string): void;
  aux(value: object): void;
}

const CACHE_NS = 'builder.cache';
const DEFAULT_SHELL = ['/bin/sh', '-c'];
const PROXY_ARGS = new Set([
  'HTTP_PROXY',
  'http_proxy',
  'HTTPS_PROXY',
  'https_proxy',
  'FTP_PROXY',
  'ftp_proxy',
  'NO_PROXY',
  'no_proxy',
  'ALL_PROXY',
  'all_proxy',
]);

interface StageState {
  imageId?: Digest;
  config: ContainerConfig;
  cmdSet: boolean;
  /** ARGs declared in this stage, with their values (undefined: declared without one). */
  args: Map<string, string | undefined>;
  author?: string;
}

interface StageResult {
  name?: string;
  imageId?: Digest;
}

export class BuildExecutor {
  private readonly lex: ShellLex;
  private busted = false;
  private step = 0;
  private total = 0;
  private readonly results: StageResult[] = [];
  private readonly metaArgs = new Map<string, string | undefined>();
  private readonly usedArgs = new Set<string>();
  private readonly leaseId: string;
  /** --cache-from images, narrowed to one once it served a step (as dockerd's ImageCache). */
  private cacheSources: ImageEntry[] = [];

  constructor(
    private readonly deps: ExecutorDeps,
    private readonly plan: BuildPlan,
    private readonly context: { root: string; ignore: PatternMatcher },
    private readonly options: BuildOptions,
    private readonly out: BuildOutput,
    private readonly workDir: string,
  ) {
    this.lex = new ShellLex(plan.escape);
    this.leaseId = deps.leases.create({ labels: { [IMAGE_LEASE_LABEL]: 'build' } }).id;
  }

  /** Runs the plan; returns the final image's ID. */
  async run(): Promise<Digest> {
    try {
      return await this.runStages();
    } finally {
      this.deps.leases.delete(this.leaseId);
    }
  }

  private async runStages(): Promise<Digest> {
    let stages = this.plan.stages;
    if (this.options.target) {
      const index = stages.findIndex((s) => s.name === this.options.target!.toLowerCase());
      if (index < 0)
        throw new BuilderError(
          `failed to reach build target ${this.options.target} in Dockerfile`,
          undefined,
        );
      stages = stages.slice(0, index + 1);
    }
    // As dockerd's buildLabelOptions: one LABEL step per --label, sorted, on the last stage built, not expanded.
    const lastStage = stages.at(-1)!;
    for (const key of Object.keys(this.options.labels).sort()) {
      const value = this.options.labels[key]!;
      lastStage.commands.push({
        kind: 'label',
        line: lastStage.line,
        original: `LABEL ${key}=${value}`,
        pairs: [[key, value]],
        literal: true,
      });
    }
    for (const warning of this.plan.warnings) this.out.stream(`${warning}\n`);
    this.total =
      this.plan.metaArgs.length + stages.length + stages.reduce((n, s) => n + s.commands.length, 0);
    await this.loadCacheFrom();
    for (const arg of this.plan.metaArgs) {
      this.printStep(arg.original);
      for (const { key, value } of arg.args) {
        const expanded =
          value === undefined ? undefined : this.expand(value, varsOf(this.metaEnv()), arg.line);
        this.metaArgs.set(key, this.buildArg(key) ?? expanded);
      }
    }
    let last: StageState | undefined;
    for (const [index, stage] of stages.entries()) {
      last = await this.runStage(stage, index, stages);
    }
    this.warnUnusedArgs();
    if (!last?.imageId)
      throw new BuilderError('No image was generated. Is your Dockerfile empty?', undefined);
    return last.imageId;
  }

  private async runStage(stage: Stage, index: number, stages: readonly Stage[]): Promise<StageState> {
    this.printStep(stage.original);
    const state = await this.fromImage(stage, index, stages);
    const triggers = state.config.OnBuild ?? [];
    if (triggers.length > 0) {
      this.out.stream(`# Executing ${triggers.length} build trigger${triggers.length > 1 ? 's' : ''}\n`);
      state.config.OnBuild = null;
      for (const trigger of triggers) {
        const node = parseDockerfile(trigger).nodes[0];
        if (!node) continue;
        await this.dispatch(
          state,
          { ...parseInstruction(node, this.plan.escape), line: stage.line },
          stages,
          index,
        ).catch((err: unknown) => {
          throw withLine(err, stage.line);
        });
      }
    }
    // As dockerd's initializeStage: the stage's image is shown after its ONBUILD triggers ran.
    this.out.stream(` ---> ${short(state.imageId)}\n`);
    for (const command of stage.commands) {
      this.options.signal?.throwIfAborted();
      this.printStep(command.original);
      await this.dispatch(state, command, stages, index).catch((err: unknown) => {
        throw withLine(err, command.line);
      });
      this.out.stream(` ---> ${short(state.imageId)}\n`);
    }
    if (state.imageId) this.out.aux({ ID: state.imageId });
    this.results.push({
      ...(stage.name ? { name: stage.name } : {}),
      ...(state.imageId ? { imageId: state.imageId } : {}),
    });
    return state;
  }

  private async fromImage(stage: Stage, index: number, stages: readonly Stage[]): Promise<StageState> {
    const name = this.expand(stage.image, varsOf(this.metaEnv()), stage.line);
    const state: StageState = { config: {}, cmdSet: false, args: new Map() };
    const previous = this.results.find((r) => r.name !== undefined && r.name === name.toLowerCase());
    if (previous) {
      state.imageId = previous.imageId;
    } else if (stages.slice(index + 1).some((s) => s.name === name.toLowerCase())) {
      throw stepError(`circular dependency detected on stage: ${name.toLowerCase()}`, stage.line);
    } else if (name.toLowerCase() !== 'scratch') {
      await this.pullBase(stage, name);
      state.imageId = await this.imageId(name, stage.line, `FROM`);
    }
    if (state.imageId) {
      const entry = await this.deps.images.resolve(state.imageId);
      state.config = structuredClone(entry.config.config ?? {});
      if (!previous) this.checkPlatform(stage, name, entry.config);
    }
    state.config.Image = state.imageId ?? '';
    return state;
  }

  /** With `--pull`, or when the image is not here, FROM fetches it first, as dockerd's builder does. */
  private async pullBase(stage: Stage, name: string): Promise<void> {
    const pull = this.options.pullImage;
    if (!pull) return;
    const present = await this.deps.images.resolve(name).then(
      () => true,
      () => false,
    );
    if (present && !this.options.pull) return;
    const platform = stage.platform
      ? this.expand(stage.platform, varsOf(this.metaEnv()), stage.line)
      : this.options.platform;
    try {
      await pull(name, platform);
    } catch (err) {
      // A present image is still usable when the registry is not reachable.
      if (present) return;
      throw stepError(
        `FROM ${name}: ${err instanceof Error ? err.message : String(err)}`,
        stage.line,
        ErrorKind.NotFound,
      );
    }
  }

  /** FROM --platform (or the build's platform) must match the local image, as dockerd checks it. */
  private checkPlatform(
    stage: Stage,
    name: string,
    config: { os?: string; architecture?: string; variant?: string },
  ): void {
    const wanted = stage.platform
      ? this.expand(stage.platform, varsOf(this.metaEnv()), stage.line)
      : this.options.platform;
    if (!wanted) return;
    const [os = '', architecture = '', variant] = wanted.toLowerCase().split('/');
    const actual = [
      config.os ?? 'linux',
      config.architecture ?? '',
      ...(config.variant ? [config.variant] : []),
    ].join('/');
    const matches =
      os === (config.os ?? 'linux') &&
      (architecture === '' || architecture === config.architecture) &&
      (variant === undefined || variant === config.variant);
    if (!matches) {
      throw stepError(
        `image with reference ${name} was found but does not match the specified platform: wanted ${wanted}, actual: ${actual}`,
        stage.line,
        ErrorKind.NotFound,
      );
    }
  }

  private async imageId(name: string, line: number, what: string): Promise<Digest> {
    try {
      return (await this.deps.images.resolve(name)).id;
    } catch (err) {
      if (isKind(err, ErrorKind.NotFound) || isKind(err, ErrorKind.InvalidArgument)) {
        throw stepError(
          `${what} ${name}: ${err instanceof Error ? err.message : String(err)}`,
          line,
          ErrorKind.NotFound,
        );
      }
      throw err;
    }
  }

  private printStep(text: string): void {
    this.step++;
    this.out.stream(`Step ${this.step}/${this.total} : ${text}\n`);
  }

  // ---- variables ----

  private buildArg(key: string): string | undefined {
    const value = this.options.buildArgs[key];
    return value === null ? undefined : value;
  }

  private metaEnv(): string[] {
    return [...this.metaArgs].filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
  }

  /** ARGs of the stage that have values and are not shadowed by ENV, as KEY=value. */
  private stageArgs(state: StageState): string[] {
    const envKeys = new Set((state.config.Env ?? []).map((e) => e.split('=', 1)[0]));
    const out: string[] = [];
    for (const [key, value] of state.args) {
      if (value === undefined || envKeys.has(key)) continue;
      out.push(`${key}=${value}`);
    }
    for (const key of PROXY_ARGS) {
      const value = this.buildArg(key);
      if (value !== undefined && !state.args.has(key)) out.push(`${key}=${value}`);
    }
    return out;
  }

  private vars(state: StageState) {
    return varsOf([...this.stageArgs(state), ...(state.config.Env ?? [])]);
  }

  private expand(word: string, vars: ReadonlyMap<string, string>, line: number): string {
    try {
      return this.lex.processWord(word, vars);
    } catch (err) {
      if (err instanceof SubstitutionError) throw new BuilderError(err.message, line);
      throw err;
    }
  }

  private warnUnusedArgs(): void {
    const unused = Object.keys(this.options.buildArgs).filter(
      (key) => !this.usedArgs.has(key) && !this.metaArgs.has(key) && !PROXY_ARGS.has(key),
    );
    if (unused.length > 0)
      this.out.stream(`[Warning] One or more build-args [${unused.sort().join(' ')}] were not consumed\n`);
  }

  // ---- dispatch ----
  // History texts follow dockerd's dispatchers: `%q` for CMD, ENTRYPOINT and HEALTHCHECK, `%v` for SHELL and VOLUME.

  private async dispatch(
    state: StageState,
    ins: Instruction,
    stages: readonly Stage[],
    stageIndex: number,
  ): Promise<void> {
    const vars = this.vars(state);
    const x = (word: string) => this.expand(word, vars, ins.line);
    const config = state.config;
    switch (ins.kind) {
      case 'env': {
        // Every value sees the variables as they were before this ENV (`ENV a=1 b=$a` takes the old a).
        const env = [...(config.Env ?? [])];
        const parts: string[] = [];
        for (const [rawKey, rawValue] of ins.pairs) {
          const key = x(rawKey);
          const value = x(rawValue);
          parts.push(`${key}=${value}`);
          const at = env.findIndex((e) => e.split('=', 1)[0] === key);
          if (at >= 0) env[at] = `${key}=${value}`;
          else env.push(`${key}=${value}`);
        }
        config.Env = env;
        return this.commitMeta(state, `ENV ${parts.join(' ')}`);
      }
      case 'label': {
        const labels = { ...(config.Labels ?? {}) };
        const parts: string[] = [];
        for (const [rawKey, rawValue] of ins.pairs) {
          const key = ins.literal ? rawKey : x(rawKey);
          const value = ins.literal ? rawValue : x(rawValue);
          labels[key] = value;
          parts.push(`${key}=${value}`);
        }
        config.Labels = labels;
        return this.commitMeta(state, `LABEL ${parts.join(' ')}`);
      }
      case 'arg': {
        const parts: string[] = [];
        for (const arg of ins.args) {
          const fallback = arg.value === undefined ? undefined : x(arg.value);
          const value = this.buildArg(arg.key) ?? fallback ?? this.metaArgs.get(arg.key);
          state.args.set(arg.key, value);
          this.usedArgs.add(arg.key);
          parts.push(fallback === undefined ? arg.key : `${arg.key}=${fallback}`);
        }
        return this.commitMeta(state, `ARG ${parts.join(' ')}`);
      }
      case 'expose': {
        const ports = ins.ports.flatMap((p) => this.lex.processWords(p, vars));
        const exposed = { ...(config.ExposedPorts ?? {}) };
        for (const port of ports) for (const key of portKeys(port, ins.line)) exposed[key] = {};
        config.ExposedPorts = exposed;
        return this.commitMeta(state, `EXPOSE ${ports.join(' ')}`);
      }
      case 'user':
        config.User = x(ins.value);
        return this.commitMeta(state, `USER ${config.User}`);
      case 'stopsignal':
        config.StopSignal = x(ins.value);
        return this.commitMeta(state, `STOPSIGNAL ${config.StopSignal}`);
      case 'maintainer':
        state.author = ins.value;
        return this.commitMeta(state, `MAINTAINER ${ins.value}`);
      case 'volume': {
        const paths = ins.paths.map(x);
        config.Volumes = { ...(config.Volumes ?? {}), ...Object.fromEntries(paths.map((p) => [p, {}])) };
        return this.commitMeta(state, `VOLUME [${paths.join(' ')}]`);
      }
      case 'shell':
        config.Shell = ins.shell;
        return this.commitMeta(state, `SHELL [${ins.shell.join(' ')}]`);
      case 'onbuild':
        config.OnBuild = [...(config.OnBuild ?? []), ins.expression];
        return this.commitMeta(state, `ONBUILD ${ins.expression}`);
      case 'cmd':
        config.Cmd = this.commandOf(state, ins.command);
        state.cmdSet = true;
        return this.commitMeta(state, `CMD ${goQuoteList(config.Cmd)}`);
      case 'entrypoint':
        config.Entrypoint = this.commandOf(state, ins.command);
        if (!state.cmdSet) config.Cmd = null;
        return this.commitMeta(state, `ENTRYPOINT ${goQuoteList(config.Entrypoint)}`);
      case 'healthcheck': {
        const health: Record<string, unknown> = { Test: ins.test };
        const o = ins.options;
        if (o.interval) health['Interval'] = o.interval;
        if (o.timeout) health['Timeout'] = o.timeout;
        if (o.startPeriod) health['StartPeriod'] = o.startPeriod;
        if (o.retries) health['Retries'] = o.retries;
        // dockerd's legacy builder merges the image's healthcheck into the new one when it
        // creates the step's container (same pointer): unset timings keep the previous ones.
        const previous = (config.Healthcheck ?? {}) as Record<string, unknown>;
        const merged: Record<string, unknown> = { Test: ins.test };
        for (const field of ['Interval', 'Timeout', 'StartPeriod', 'Retries']) {
          const value = health[field] ?? (previous[field] || undefined);
          if (value !== undefined) merged[field] = value;
        }
        config.Healthcheck = merged;
        const text = `&{${goQuoteList(ins.test)} "${goDuration(o.interval ?? 0)}" "${goDuration(o.timeout ?? 0)}" "${goDuration(o.startPeriod ?? 0)}" ${goQuoteRune(o.retries ?? 0)}}`;
        return this.commitMeta(state, `HEALTHCHECK ${text}`);
      }
      case 'workdir': {
        const requested = x(ins.value);
        config.WorkingDir = requested.startsWith('/')
          ? posix.normalize(requested)
          : posix.join('/', config.WorkingDir || '/', requested);
        return this.workdir(state);
      }
      case 'run':
        return this.runStep(state, ins);
      case 'copy':
      case 'add':
        return this.copyStep(state, ins, x, stages, stageIndex);
    }
  }

  private commandOf(state: StageState, command: { exec: string[] } | { shell: string }): string[] {
    return 'exec' in command ? command.exec : [...(state.config.Shell ?? DEFAULT_SHELL), command.shell];
  }

  private shellComment(state: StageState, text: string, twoWords: boolean): string[] {
    const shell = state.config.Shell ?? DEFAULT_SHELL;
    return twoWords ? [...shell, '#(nop) ', text] : [...shell, `#(nop) ${text}`];
  }

  // ---- cache ----

  private cacheKey(parent: Digest | undefined, key: string): string {
    return createHash('sha256')
      .update(`${parent ?? 'scratch'}\n${key}`)
      .digest('hex');
  }

  private async probe(state: StageState, key: string, createdBy: string | undefined): Promise<boolean> {
    if (this.options.noCache || this.busted) return false;
    const local = this.deps.kv.get(CACHE_NS, this.cacheKey(state.imageId, key)) as Digest | undefined;
    // A cache entry whose image was removed since is a miss; --cache-from images may still have the step.
    let entry = local ? await this.deps.images.resolve(local).catch(notFoundAsUndefined) : undefined;
    if (!entry && createdBy !== undefined) {
      const fromSources = await this.fromCacheSources(state, createdBy);
      if (fromSources) entry = await this.deps.images.resolve(fromSources);
    }
    if (!entry) {
      this.busted = true;
      return false;
    }
    state.imageId = entry.id;
    state.config = structuredClone(entry.config.config ?? {});
    state.config.Image = entry.id;
    this.out.stream(' ---> Using cache\n');
    return true;
  }

  private remember(parent: Digest | undefined, key: string, id: Digest): void {
    this.deps.kv.set(CACHE_NS, this.cacheKey(parent, key), id);
  }

  /** --cache-from: the images whose history can stand in for steps (unknown names are skipped, as dockerd). */
  private async loadCacheFrom(): Promise<void> {
    for (const name of this.options.cacheFrom) {
      const entry = await this.deps.images.resolve(name).catch(() => undefined);
      if (entry) this.cacheSources.push(entry);
    }
  }

  /**
   * dockerd's ImageCache.GetCache for --cache-from: a source image whose
   * history starts with the parent's (same entries, same layers) and whose
   * next entry was made by this step's command gives the step: the source
   * itself when that was its last entry, else an image of the parent plus
   * that entry's layer (already unpacked: same chain) and this step's config.
   */
  private async fromCacheSources(state: StageState, createdBy: string): Promise<Digest | undefined> {
    if (this.cacheSources.length === 0) return undefined;
    const parent = state.imageId ? await this.deps.images.resolve(state.imageId) : undefined;
    const parentHistory = parent?.config.history ?? [];
    const parentDiffs = parent?.config.rootfs.diff_ids ?? [];
    const n = parentHistory.length;
    for (const target of this.cacheSources) {
      const history = target.config.history ?? [];
      const diffs = target.config.rootfs.diff_ids;
      if (history.length <= n || parentDiffs.length > diffs.length) continue;
      if (!parentHistory.every((h, i) => JSON.stringify(h) === JSON.stringify(history[i]))) continue;
      if (!parentDiffs.every((d, i) => d === diffs[i])) continue;
      const entry = history[n]!;
      if ((entry.created_by ?? '') !== createdBy) continue;
      this.cacheSources = [target];
      if (history.length - 1 === n) return target.id;
      const layerIndex = history.slice(0, n).filter((h) => !h.empty_layer).length;
      const blob = entry.empty_layer ? undefined : target.parsedManifest.layers[layerIndex];
      return this.deps.images.createChild({
        ...(parent ? { parent: parent.id } : {}),
        ...(blob ? { existingLayer: { blob, diffId: diffs[layerIndex]! } } : {}),
        config: fullConfig({ ...state.config, Image: state.imageId ?? '' }),
        historyEntry: entry,
        leaseId: this.leaseId,
      });
    }
    return undefined;
  }

  // ---- steps ----

  /** A step that only changes the config: an image with an empty layer. */
  private async commitMeta(state: StageState, comment: string): Promise<void> {
    const cmd = this.shellComment(state, comment, true);
    const createdBy = cmd.join(' ');
    if (await this.probe(state, createdBy, createdBy)) return;
    await this.commitLayer(state, createdBy, createdBy, cmd, undefined);
  }

  private async commitLayer(
    state: StageState,
    key: string,
    createdBy: string,
    cmd: string[],
    layer: AsyncIterable<Buffer> | undefined,
  ): Promise<void> {
    const parent = state.imageId;
    const config = fullConfig({ ...state.config, Image: parent ?? '' });
    const id = await this.deps.images.createChild({
      ...(parent ? { parent } : {}),
      ...(layer ? { layer } : {}),
      config,
      containerConfig: fullConfig({ ...state.config, Image: parent ?? '', Cmd: cmd }),
      createdBy,
      ...(state.author ? { author: state.author } : {}),
      leaseId: this.leaseId,
      onRecorded: (id) => this.remember(parent, key, id),
    });
    state.imageId = id;
    state.config = { ...state.config, Image: id };
  }

  private async workdir(state: StageState): Promise<void> {
    const dir = state.config.WorkingDir!;
    const cmd = this.shellComment(state, `WORKDIR ${dir}`, false);
    const createdBy = cmd.join(' ');
    if (await this.probe(state, createdBy, createdBy)) return;
    const entries = await this.withView(state.imageId, async (root) => {
      if (root === undefined) return [];
      const rel = await resolveInScope(root, dir);
      const exists = await lstat(`${root}/${rel}`).then(
        () => true,
        () => false,
      );
      if (exists || rel === '') return [];
      const made: CopyEntry = {
        path: rel,
        type: 'directory',
        mode: 0o755,
        uid: 0,
        gid: 0,
        mtime: Math.floor(Date.now() / 1000),
        size: 0,
      };
      return [...(await parentEntries(root, [made], { uid: 0, gid: 0 })), made];
    });
    await this.commitLayer(
      state,
      createdBy,
      createdBy,
      cmd,
      entries.length > 0 ? copyLayer(entries) : undefined,
    );
  }

  private async runStep(state: StageState, ins: Extract<Instruction, { kind: 'run' }>): Promise<void> {
    if (!state.imageId)
      throw stepError(
        'RUN cannot be used on a build stage FROM scratch: it has no shell or command to run',
        ins.line,
      );
    const cmd = this.commandOf(state, ins.command);
    const args = this.stageArgs(state);
    const shown = args.filter((a) => !PROXY_ARGS.has(a.split('=', 1)[0]!)).sort();
    const saveCmd = args.length > 0 ? [`|${shown.length}`, ...shown, ...cmd] : cmd;
    const createdBy = saveCmd.join(' ');
    // `default` is what the CLI sends when nothing was asked for.
    const requested = ins.network ?? this.options.networkMode;
    const network = requested === 'default' ? undefined : requested;
    if (await this.probe(state, `${createdBy}\n${network ?? ''}`, createdBy)) return;
    const body = {
      Image: state.imageId,
      Cmd: cmd,
      Entrypoint: [],
      Env: [...(state.config.Env ?? []), ...args],
      WorkingDir: state.config.WorkingDir ?? '',
      User: state.config.User ?? '',
      Labels: { [BUILD_CONTAINER_LABEL]: 'true' },
      HostConfig: {
        ...this.options.hostConfig,
        ...(network && network !== 'default' ? { NetworkMode: network } : {}),
      },
    };
    this.options.signal?.throwIfAborted();
    const { Id: containerId } = await this.deps.containers.create(body as never, undefined);
    this.out.stream(` ---> Running in ${containerId.slice(0, 12)}\n`);
    let committed = false;
    try {
      const tail = await this.runContainer(containerId);
      if (tail.exitCode !== 0) {
        const last = tail.lines.length > 0 ? `; last output:\n${tail.lines.join('\n')}` : '';
        const full = await this.fullLayerNote(containerId);
        throw stepError(
          `The command '${cmd.join(' ')}' returned a non-zero code: ${tail.exitCode}${full ? `; ${full}` : ''}${last}`,
          ins.line,
          ErrorKind.Internal,
          tail.exitCode,
        );
      }
      const record = this.deps.containers.store.get(containerId);
      const parent = state.imageId;
      const config = fullConfig({ ...state.config, Image: parent });
      const id = await commitRecord(
        { containers: this.deps.containers, images: this.deps.images, snapshotter: this.deps.snapshotter },
        record,
        {
          config,
          containerConfig: fullConfig({ ...state.config, Image: parent, Cmd: saveCmd, Entrypoint: null }),
          createdBy,
          ...(state.author ? { author: state.author } : {}),
          leaseId: this.leaseId,
          onRecorded: (image) => this.remember(parent, `${createdBy}\n${network ?? ''}`, image),
        },
      );
      committed = true;
      state.imageId = id;
      state.config = { ...state.config, Image: id };
    } finally {
      // dockerd keeps a failed step's container unless --force-rm; Berth removes it with --rm too
      // (the default), so a failed build leaves nothing behind. --rm=false keeps both.
      if (this.options.rm || this.options.forceRm) {
        await this.deps.containers
          .remove(containerId, { force: true })
          .catch((err: unknown) =>
            this.deps.log.warn('could not remove a build container', { id: containerId, error: err }),
          );
        if (committed) this.out.stream(`Removing intermediate container ${containerId.slice(0, 12)}\n`);
      }
    }
  }

  /**
   * `<upper dir>: no space left on device` when the failed step's writable layer is on a full
   * filesystem: the command's own message may not say so (busybox reports ENOSPC as "I/O error").
   */
  private async fullLayerNote(containerId: string): Promise<string | undefined> {
    const record = this.deps.containers.store.find(containerId);
    if (!record) return undefined;
    const mounts = await this.deps.snapshotter.mounts(record.SnapshotKey).catch(() => undefined);
    return mounts && mounts.length > 0 ? fullDiskNote(overlayDirs(mounts).upper) : undefined;
  }

  /** Starts the container, streams its output, and returns its exit code with its last lines. */
  private async runContainer(id: string): Promise<{ exitCode: number; lines: string[] }> {
    const containers = this.deps.containers;
    const attached = containers.attach(id, { stdout: true, stderr: true });
    await containers.start(id);
    const { session } = await attached;
    const lines: string[] = [];
    let partial = '';
    const pump = async (stream: NodeJS.ReadableStream) => {
      const decoder = new StringDecoder('utf8');
      for await (const chunk of stream) {
        const text = decoder.write(chunk as Buffer);
        if (text === '') continue;
        this.out.stream(text);
        const parts = (partial + text).split('\n');
        partial = parts.pop() ?? '';
        lines.push(...parts);
        if (lines.length > 10) lines.splice(0, lines.length - 10);
      }
    };
    // The client went away: kill the step. Right after start the record may not say
    // "running" yet (kill refuses then), so try until the process is gone.
    const abort = () =>
      void (async () => {
        for (let i = 0; i < 100; i++) {
          const ok = await containers.kill(id).then(
            () => true,
            () => false,
          );
          if (ok || containers.store.get(id).State.Status === 'exited') return;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })().catch(() => {});
    this.options.signal?.addEventListener('abort', abort);
    // The client may have gone while the container was starting.
    if (this.options.signal?.aborted) abort();
    try {
      await Promise.all([pump(session.stdout), pump(session.stderr)]);
      const exitCode = await containers.wait(id, 'not-running');
      if (partial !== '') lines.push(partial);
      this.options.signal?.throwIfAborted();
      return { exitCode, lines: lines.slice(-5) };
    } finally {
      this.options.signal?.removeEventListener('abort', abort);
    }
  }

  private async copyStep(
    state: StageState,
    ins: Extract<Instruction, { kind: 'copy' | 'add' }>,
    x: (word: string) => string,
    stages: readonly Stage[],
    stageIndex: number,
  ): Promise<void> {
    const name = ins.kind === 'copy' ? 'COPY' : 'ADD';
    const sources = ins.sources.map(x);
    let dest = x(ins.dest);
    if (!dest.startsWith('/')) {
      const trailing = dest.endsWith('/') || dest === '.' ? '/' : '';
      dest = posix.join(state.config.WorkingDir || '/', dest) + trailing;
      dest = dest.replace(/\/+$/, trailing ? '/' : '') || '/';
    }
    const fetched = ins.kind === 'add' ? await fetchUrls(sources, ins.line, this.workDir) : undefined;
    const fromImage =
      ins.from !== undefined ? await this.fromSource(x(ins.from), ins.line, stages, stageIndex) : undefined;
    const request = {
      instruction: name,
      srcRoot: this.context.root,
      ignore: this.context.ignore,
      fromContext: true,
      sources,
      ...(fetched ? { fetched } : {}),
      dest,
      ...(ins.chmod ? { mode: Number.parseInt(ins.chmod, 8) } : {}),
      extractArchives: ins.kind === 'add',
    } as const;
    const planned = async (more: Partial<Parameters<typeof planCopy>[0]>) => {
      try {
        return await planCopy({ ...request, destRoot: undefined, ...more });
      } catch (err) {
        if (err instanceof CopySourceError) throw stepError(err.message, ins.line, ErrorKind.NotFound);
        throw err;
      }
    };
    // The cache is probed without mounting anything: the context's content
    // hash, or for --from the source image's ID (its content is in its ID).
    const flags = `${ins.chown ?? ''}\n${ins.chmod ?? ''}`;
    const probeHash = fromImage ? undefined : (await planned({ hashOnly: true })).hash;
    const key = fromImage
      ? `${name} --from=${fromImage} ${JSON.stringify(sources)} ${dest}\n${flags}`
      : `${name} ${probeHash} in ${dest}\n${flags}`;
    const probeCreatedBy = probeHash
      ? this.shellComment(state, `${name} ${probeHash} in ${dest} `, false).join(' ')
      : undefined;
    if (await this.probe(state, key, probeCreatedBy)) return;
    const fromChain = fromImage ? (await this.deps.images.resolve(fromImage)).chainIds.at(-1) : undefined;
    await this.withView(state.imageId, (destRoot) =>
      this.withView(fromChain, async (fromRoot) => {
        const owner = ins.chown ? await ownerOf(x(ins.chown), destRoot, ins.line) : undefined;
        const plan = await planned({
          ...(fromImage ? { srcRoot: fromRoot ?? this.workDir, ignore: undefined, fromContext: false } : {}),
          destRoot,
          ...(owner ? { owner } : {}),
        });
        const cmd = this.shellComment(state, `${name} ${plan.hash} in ${dest} `, false);
        // The layer is read from the mounted views: commit before they go.
        await this.commitLayer(state, key, cmd.join(' '), cmd, copyLayer(plan.entries));
      }),
    );
  }

  private async fromSource(
    from: string,
    line: number,
    stages: readonly Stage[],
    stageIndex: number,
  ): Promise<Digest> {
    const byIndex = /^\d+$/.test(from) ? Number(from) : undefined;
    if (byIndex !== undefined) {
      if (byIndex >= stageIndex) throw stepError(`circular dependency detected on stage: ${from}`, line);
      const result = this.results[byIndex];
      if (!result?.imageId)
        throw stepError(`invalid from flag value ${from}: stage ${from} has no image`, line);
      return result.imageId;
    }
    const lower = from.toLowerCase();
    const result = this.results.find((r) => r.name === lower);
    if (result) {
      if (!result.imageId) throw stepError(`invalid from flag value ${from}: stage ${from} is empty`, line);
      return result.imageId;
    }
    if (stages.slice(stageIndex).some((s) => s.name === lower)) {
      throw stepError(`circular dependency detected on stage: ${lower}`, line);
    }
    try {
      return (await this.deps.images.resolve(from)).id;
    } catch (err) {
      if (isKind(err, ErrorKind.NotFound) || isKind(err, ErrorKind.InvalidArgument)) {
        throw stepError(
          `invalid from flag value ${from}: no build stage and no image named ${from}`,
          line,
          ErrorKind.NotFound,
        );
      }
      throw err;
    }
  }

  /** Runs `fn` on a read-only mount of an image's filesystem (undefined for scratch). */
  private async withView<T>(
    image: Digest | string | undefined,
    fn: (root: string | undefined) => Promise<T>,
  ): Promise<T> {
    if (!image) return fn(undefined);
    const chainTop =
      image.startsWith('sha256:') && (await this.isImage(image))
        ? (await this.deps.images.resolve(image)).chainIds.at(-1)
        : image;
    if (!chainTop) return fn(undefined);
    const key = `build-view-${randomBytes(8).toString('hex')}`;
    this.deps.leases.addResource(this.leaseId, { kind: 'snapshot', ...snapshotRef(key) });
    const mounts = await this.deps.snapshotter.view(key, chainTop);
    const dir = await mkdtemp(join(this.workDir, 'view-'));
    try {
      await mountAll(mounts, dir);
      try {
        return await fn(dir);
      } finally {
        await unmount(dir).catch(() => {});
      }
    } finally {
      await rm(dir, { recursive: true, force: true }).catch(() => {});
      await this.deps.snapshotter.remove(key).catch(() => {});
    }
  }

  private async isImage(id: string): Promise<boolean> {
    try {
      await this.deps.images.resolve(id);
      return true;
    } catch {
      return false;
    }
  }
}

function notFoundAsUndefined(err: unknown): undefined {
  if (isKind(err, ErrorKind.NotFound)) return undefined;
  throw err;
}

/** Any failure of a step names the step's line. */
function withLine(err: unknown, line: number): unknown {
  if (err instanceof BuilderError || isKind(err, ErrorKind.Canceled) || !(err instanceof Error)) return err;
  return stepError(err.message, line, kindOf(err));
}

function short(id: string | undefined): string {
  return id ? id.replace(/^sha256:/, '').slice(0, 12) : '';
}

/** `80`, `80/udp`, `8000-8002/tcp` → `80/tcp` … (nat.ParsePortSpecs). */
function portKeys(spec: string, line: number): string[] {
  const match = /^(?:(?:[\d.]+|\[[^\]]+\]):)?(?:\d+(?:-\d+)?:)?(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(
    spec,
  );
  if (!match) throw stepError(`Invalid containerPort: ${spec}`, line);
  const start = Number(match[1]);
  const end = match[2] ? Number(match[2]) : start;
  const proto = (match[3] ?? 'tcp').toLowerCase();
  const keys: string[] = [];
  for (let p = start; p <= end; p++) keys.push(`${p}/${proto}`);
  return keys;
}

/** `--chown=user:group`, names looked up in the image's /etc/passwd and /etc/group. */
async function ownerOf(
  spec: string,
  root: string | undefined,
  line: number,
): Promise<{ uid: number; gid: number }> {
  const [user = '', group] = spec.split(':', 2);
  const lookup = async (file: string, name: string): Promise<number> => {
    if (/^\d+$/.test(name)) return Number(name);
    const text = root
      ? await readFile(`${root}/${await resolveInScope(root, file)}`, 'utf8').catch(() => '')
      : '';
    const row = text.split('\n').find((l) => l.split(':')[0] === name);
    if (!row)
      throw stepError(
        `unable to convert uid/gid chown string to host mapping: can't find uid for user ${name}: no such user: ${name}`,
        line,
      );
    return Number(row.split(':')[2]);
  };
  const uid = await lookup('/etc/passwd', user);
  const gid = group === undefined ? uid : await lookup('/etc/group', group);
  return { uid, gid };
}

/** ADD's URL sources, fetched: by source position. */
async function fetchUrls(sources: readonly string[], line: number, dir: string) {
  const out = new Map<number, FetchedSource>();
  for (const [index, source] of sources.entries()) {
    if (!/^https?:\/\//.test(source)) continue;
    let res: Response;
    try {
      res = await fetch(source);
    } catch (err) {
      throw stepError(`failed to GET ${source}: ${err instanceof Error ? err.message : String(err)}`, line);
    }
    if (!res.ok || !res.body)
      throw stepError(`failed to GET ${source} with status ${res.status} ${res.statusText}`, line);
    // Streamed to disk: a download may be larger than memory.
    const path = join(dir, `download-${randomBytes(8).toString('hex')}`);
    await pipeline(Readable.fromWeb(res.body as never), createWriteStream(path, { mode: 0o600 }));
    const modified = res.headers.get('last-modified');
    const name = posix.basename(new URL(source).pathname) || 'index.html';
    const { size } = await stat(path);
    out.set(index, { name, path, size, mtime: modified ? Math.floor(Date.parse(modified) / 1000) : 0 });
  }
  return out;
}
