import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Governance, Principal } from './governance.js';
import type { Project } from './store.js';
import type { UiQueries, Visibility } from './ui-queries.js';

/** HTML-escapes anything shown on a page: every value from users, images or the network goes through it. */
export const esc = (value: unknown) =>
  String(value ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
export const url = (value: string) => encodeURIComponent(value);

export function formatBytes(bytes: number): string {
  if (bytes < 0) return 'unlimited';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** `2026-11-29 10:58:28` (UTC), or '' for none. */
export const time = (ms: number | null | undefined) =>
  ms ? new Date(ms).toISOString().replace('T', ' ').slice(0, 19) : '';

/** Rows per page of every paged list. */
export const PAGE_SIZE = 50;

/** The 1-based page number and its offset from `?page=`. */
export function pageOf(query: Record<string, string | undefined>): { number: number; offset: number } {
  const parsed = Number(query['page'] ?? 1);
  const number = Number.isSafeInteger(parsed) && parsed >= 1 && parsed <= 1_000_000 ? parsed : 1;
  return { number, offset: (number - 1) * PAGE_SIZE };
}

/** "Newer / page N of M / Older" links that keep the other query parameters. */
export function pager(query: Record<string, string | undefined>, number: number, total: number): string {
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const link = (n: number, label: string) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && k !== 'page') params.set(k, v);
    params.set('page', String(n));
    return `<a href="?${esc(params.toString())}">${label}</a>`;
  };
  return `<p class="pager">${number > 1 ? link(number - 1, '← Previous') : ''} page ${number} of ${pages} (${total})
${number < pages ? link(number + 1, 'Next →') : ''}</p>`;
}

/** A search box for a list (GET, so results can be linked). */
export const searchBox = (value: string | undefined, placeholder: string, action = '') =>
  `<form method="get"${action ? ` action="${esc(action)}"` : ''}><input name="q" placeholder="${esc(placeholder)}" value="${esc(value)}"> <button>Search</button></form>`;

/** What the page modules share with ui.ts: sessions, the page frame, permission helpers. */
export interface UiContext {
  gov: Governance;
  queries: UiQueries;
  principalOf(request: FastifyRequest): Promise<Principal>;
  page(reply: FastifyReply, who: Principal, title: string, body: string, status?: number): FastifyReply;
  /** Log-in redirect for anonymous callers, 403 page for others. */
  refuse(reply: FastifyReply, who: Principal, what: string): FastifyReply;
  /** A project the caller may pull from (others are invisible). */
  visibleProject(who: Principal, name: string): Promise<Project | undefined>;
  form(request: FastifyRequest): URLSearchParams;
  /** Which projects a caller sees, for the paged queries. */
  visibility(who: Principal): Promise<Visibility>;
}

/** The `/ui/...` path of a repository page (the project part and the rest). */
export const repositoryPath = (repository: string) => {
  const slash = repository.indexOf('/');
  return `/ui/projects/${url(repository.slice(0, slash))}/repositories/${url(repository.slice(slash + 1))}`;
};
