import type { Logger } from '../../core/logger.js';
import type { Governance, Principal } from './governance.js';
import { planRetention, type RetentionDecision } from './rules.js';
import type { Project } from './store.js';

/** Removes one tag through the registry (so the tag guard and metadata rules apply). */
export type DeleteTag = (repository: string, tag: string) => Promise<void>;

/** What one retention run did (or, dry, would do). */
export interface RetentionReport {
  dryRun: boolean;
  decisions: RetentionDecision[];
  deleted: number;
}

/**
 * Applies a project's retention policy: plans every tag's fate, removes the
 * tags no rule keeps (unless dry), and audits the run and each removal.
 */
export async function runRetention(
  gov: Governance,
  deleteTag: DeleteTag,
  project: Project,
  run: { dryRun: boolean; principal: Principal; remoteAddress: string },
): Promise<RetentionReport> {
  const decisions = planRetention(
    await gov.store.tags({ project: project.name }),
    project.settings.retention,
    project.settings.immutableTags,
    gov.now(),
  );
  const doomed = decisions.filter((d) => d.action === 'delete');
  const base = { principal: run.principal, remoteAddress: run.remoteAddress, project: project.name };
  if (!run.dryRun) {
    for (const d of doomed) {
      await deleteTag(d.repository, d.tag);
      gov.record({
        ...base,
        operation: 'delete_tag',
        resource: `${d.repository}:${d.tag}`,
        result: 'success',
        detail: 'retention',
      });
    }
  }
  gov.record({
    ...base,
    operation: 'retention_run',
    resource: project.name,
    result: 'success',
    detail: `${run.dryRun ? 'dry run: would delete' : 'deleted'} ${doomed.length} of ${decisions.length} tags`,
  });
  return { dryRun: run.dryRun, decisions, deleted: doomed.length };
}

const PERIOD_MS = { hourly: 3_600_000, daily: 86_400_000, weekly: 7 * 86_400_000 } as const;
export type RetentionSchedule = keyof typeof PERIOD_MS;
export const RETENTION_SCHEDULES = Object.keys(PERIOD_MS) as RetentionSchedule[];

/**
 * Runs scheduled retention policies: every few minutes, each project whose
 * policy has a `schedule` and whose last run is a period old is run (as the
 * system, audited without a user). Returns a stop function.
 */
export function scheduleRetention(
  gov: Governance,
  deleteTag: DeleteTag,
  logger: Logger,
  checkEveryMs = 5 * 60_000,
): () => void {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      for (const project of await gov.store.projects()) {
        const schedule = project.settings.retention?.schedule;
        if (!schedule) continue;
        const key = `retention_last_run:${project.name}`;
        const last = await gov.store.setting<number>(key, 0);
        if (gov.now() - last < PERIOD_MS[schedule]) continue;
        await gov.store.setSetting(key, gov.now());
        const report = await runRetention(gov, deleteTag, project, {
          dryRun: false,
          principal: { kind: 'anonymous' },
          remoteAddress: 'scheduler',
        });
        logger.info('retention run', { project: project.name, deleted: report.deleted });
      }
    } catch (err) {
      logger.error('scheduled retention failed', { error: err });
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), checkEveryMs);
  timer.unref();
  return () => clearInterval(timer);
}
