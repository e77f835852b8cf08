import { SEVERITIES, type Severity } from '../../alerts/types.ts';
import type { ActionTarget } from '../framework/contract.ts';

/** What createIssue reads from the alert or incident (target.attributes). */
export interface IssueSource {
  /** The stable xdrhub id (target.value). */
  xdrhubId: string;
  kind: 'alert' | 'incident';
  shortId: string;
  title: string;
  severity: Severity;
  description: string;
  link?: string;
}

const SUBJECT_MAX = 255;
const DESCRIPTION_MAX = 60_000;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]+/g;

export function sourceOf(target: ActionTarget): IssueSource {
  const a = target.attributes ?? {};
  const str = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
  const severity = SEVERITIES.includes(a.severity as Severity) ? (a.severity as Severity) : 'medium';
  const link = str(a.link);
  return {
    xdrhubId: target.value,
    kind: target.kind === 'incident' ? 'incident' : 'alert',
    // The short id goes in the subject marker: keep it to characters that cannot break a search.
    shortId: (str(a.shortId).replace(/[^A-Za-z0-9._:-]/g, '').slice(0, 40) || target.value.replace(/[^A-Za-z0-9._:-]/g, '').slice(0, 40)),
    title: str(a.title).replace(CONTROL, ' ').trim() || `${target.kind} ${target.value}`,
    severity,
    description: str(a.description).slice(0, DESCRIPTION_MAX),
    // Only web links become links back: anything else (javascript:, data:) is dropped.
    link: /^https?:\/\/[^\s]+$/i.test(link) ? link : undefined,
  };
}

/** The subject marker the issue is found by when no custom field carries the id. */
export function markerOf(source: IssueSource): string {
  return `[xdrhub ${source.shortId}]`;
}

export function subjectOf(source: IssueSource): string {
  return `${markerOf(source)} ${source.title}`.slice(0, SUBJECT_MAX);
}

/** The line that ties an issue to exactly one xdrhub item, whatever its subject says. */
export function idLineOf(source: IssueSource): string {
  return `xdrhub id: ${source.xdrhubId}`;
}

export function descriptionOf(source: IssueSource): string {
  const lines = [
    source.description,
    '',
    '---',
    `xdrhub ${source.kind} ${source.shortId}, severity ${source.severity}`,
    source.link ? `Open in xdrhub: ${source.link}` : undefined,
    idLineOf(source),
  ];
  return lines.filter((l) => l !== undefined).join('\n').trimStart();
}
