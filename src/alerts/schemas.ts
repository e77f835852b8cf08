import { Type } from 'typebox';
import { OBSERVABLE_TYPES, MAX_OBSERVABLE_LENGTH } from './observables.ts';
import { ALERT_STATUSES, ASSET_ROLES, INCIDENT_STATUSES, PRIORITIES, RESOLUTIONS, SEVERITIES } from './types.ts';
import { SORT_KEYS } from './paging.ts';

const ShortText = (max: number, extra: Record<string, unknown> = {}) => Type.String({ minLength: 1, maxLength: max, ...extra });
const Enum = <T extends readonly string[]>(values: T) => Type.Union(values.map((v) => Type.Literal(v)));

export const ObservableInputSchema = Type.Object(
  { type: Enum(OBSERVABLE_TYPES), value: Type.String({ minLength: 1, maxLength: MAX_OBSERVABLE_LENGTH }) },
  { additionalProperties: false },
);

const HostSchema = Type.Object(
  {
    kind: Type.Literal('host'),
    name: ShortText(255),
    role: Type.Optional(Enum(ASSET_ROLES)),
    ips: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 64 })),
    os: Type.Optional(Type.String({ maxLength: 255 })),
    agentIds: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 255 }))),
  },
  { additionalProperties: false },
);
const AccountSchema = Type.Object(
  {
    kind: Type.Literal('account'),
    login: ShortText(255),
    role: Type.Optional(Enum(ASSET_ROLES)),
    upn: Type.Optional(Type.String({ maxLength: 320 })),
    email: Type.Optional(Type.String({ maxLength: 320 })),
    sid: Type.Optional(Type.String({ maxLength: 184, pattern: '^S-1-[0-9-]+$' })),
    domain: Type.Optional(Type.String({ maxLength: 255 })),
  },
  { additionalProperties: false },
);

export const AlertInputSchema = Type.Object(
  {
    title: ShortText(1024),
    description: Type.Optional(Type.String({ maxLength: 65_536 })),
    severity: Enum(SEVERITIES),
    source: ShortText(128, { description: 'Where the alert comes from (product or integration); with sourceId it makes creation idempotent' }),
    sourceId: Type.Optional(ShortText(256)),
    rules: Type.Optional(Type.Array(ShortText(512), { maxItems: 50, description: 'Detection rules' })),
    tactics: Type.Optional(Type.Array(ShortText(64), { maxItems: 20 })),
    techniques: Type.Optional(Type.Array(Type.String({ pattern: '^T[0-9]{4}(\\.[0-9]{3})?$' }), { maxItems: 50 })),
    firstEventAt: Type.Optional(Type.String({ format: 'date-time' })),
    lastEventAt: Type.Optional(Type.String({ format: 'date-time' })),
    observables: Type.Optional(Type.Array(ObservableInputSchema, { maxItems: 500 })),
    assets: Type.Optional(Type.Array(Type.Union([HostSchema, AccountSchema]), { maxItems: 200 })),
    events: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 50, description: 'Original events (first 50 kept)' })),
    externalRef: Type.Optional(Type.String({ maxLength: 1024 })),
    additionalData: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);

export const AlertPatchSchema = Type.Object(
  {
    assigneeId: Type.Optional(Type.Union([Type.String({ format: 'uuid' }), Type.Null()])),
    status: Type.Optional(Enum(ALERT_STATUSES)),
    resolution: Type.Optional(Type.Union([Enum(RESOLUTIONS), Type.Null()])),
    severity: Type.Optional(Enum(SEVERITIES)),
    externalRef: Type.Optional(Type.Union([Type.String({ maxLength: 1024 }), Type.Null()])),
    additionalData: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const IncidentInputSchema = Type.Object(
  {
    title: ShortText(1024),
    description: Type.Optional(Type.String({ maxLength: 65_536 })),
    severity: Enum(SEVERITIES),
    priority: Type.Optional(Enum(PRIORITIES)),
    alertIds: Type.Optional(Type.Array(Type.String({ format: 'uuid' }), { maxItems: 200 })),
    additionalData: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);

export const IncidentPatchSchema = Type.Object(
  {
    title: Type.Optional(ShortText(1024)),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 65_536 }), Type.Null()])),
    assigneeId: Type.Optional(Type.Union([Type.String({ format: 'uuid' }), Type.Null()])),
    status: Type.Optional(Enum(INCIDENT_STATUSES)),
    resolution: Type.Optional(Type.Union([Enum(RESOLUTIONS), Type.Null()])),
    severity: Type.Optional(Enum(SEVERITIES)),
    priority: Type.Optional(Enum(PRIORITIES)),
    externalRef: Type.Optional(Type.Union([Type.String({ maxLength: 1024 }), Type.Null()])),
    additionalData: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false, minProperties: 1 },
);

const CsvOf = (values: readonly string[]) => Type.String({ pattern: `^(${values.join('|')})(,(${values.join('|')}))*$`, description: `comma-separated: ${values.join(', ')}` });

export const AlertListQuery = Type.Object(
  {
    status: Type.Optional(CsvOf(ALERT_STATUSES)),
    severity: Type.Optional(CsvOf(SEVERITIES)),
    assigneeId: Type.Optional(Type.String({ format: 'uuid' })),
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
    observable: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_OBSERVABLE_LENGTH, description: 'Alerts with this observable value' })),
    observableType: Type.Optional(Enum(OBSERVABLE_TYPES)),
    rule: Type.Optional(Type.String({ maxLength: 512 })),
    incidentId: Type.Optional(Type.String({ format: 'uuid' })),
    q: Type.Optional(Type.String({ maxLength: 200, description: 'Text in the title' })),
    subtree: Type.Optional(Type.Boolean({ description: 'Include descendant tenants' })),
    sort: Type.Optional(Enum(SORT_KEYS)),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

export const IncidentListQuery = Type.Object(
  {
    status: Type.Optional(CsvOf(INCIDENT_STATUSES)),
    severity: Type.Optional(CsvOf(SEVERITIES)),
    assigneeId: Type.Optional(Type.String({ format: 'uuid' })),
    subtree: Type.Optional(Type.Boolean()),
    sort: Type.Optional(Enum(SORT_KEYS)),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);
