import { Type, type Static } from 'typebox';

/** xdrhub statuses a Redmine status can map back to (alerts and incidents). */
export const MAPPABLE_STATUSES = ['new', 'inProgress', 'inIncident', 'closed', 'open', 'hold'] as const;

/** Redmine's default priorities (Low, Normal, High, Urgent, Immediate) matched to xdrhub severities. */
export const DEFAULT_PRIORITIES = { low: 'Low', medium: 'Normal', high: 'High', critical: 'Urgent' } as const;

const priorityName = (severity: string, dflt: string) =>
  Type.String({ minLength: 1, maxLength: 60, default: dflt, title: `Priority for ${severity}`, description: `Redmine priority name used for ${severity} severity` });

export const configSchema = Type.Object(
  {
    url: Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2048, title: 'Redmine URL', description: 'Base URL of Redmine, e.g. https://redmine.example.com (a sub-path is allowed)' }),
    project: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,99}$', title: 'Project', description: 'Identifier (or numeric id) of the project issues are created in' }),
    tracker: Type.Optional(Type.String({ minLength: 1, maxLength: 60, title: 'Tracker', description: "Tracker name or id (default: the project's first tracker)" })),
    priorities: Type.Object(
      {
        low: priorityName('low', DEFAULT_PRIORITIES.low),
        medium: priorityName('medium', DEFAULT_PRIORITIES.medium),
        high: priorityName('high', DEFAULT_PRIORITIES.high),
        critical: priorityName('critical', DEFAULT_PRIORITIES.critical),
      },
      { additionalProperties: false, default: {}, title: 'Priority by severity', description: "Defaults to Redmine's default priorities" },
    ),
    statusMapping: Type.Optional(
      Type.Record(Type.String({ minLength: 1, maxLength: 60 }), Type.Union([Type.Literal('new'), Type.Literal('inProgress'), Type.Literal('inIncident'), Type.Literal('closed'), Type.Literal('open'), Type.Literal('hold')]), {
        title: 'Status mapping back',
        description: 'Redmine status name → xdrhub status, e.g. {"Closed":"closed","In Progress":"inProgress"}; unmapped statuses are reported but not applied',
        maxProperties: 50,
      }),
    ),
    customFieldId: Type.Optional(Type.Integer({ minimum: 1, title: 'xdrhub ID custom field', description: 'Id of a filterable text issue custom field that receives the xdrhub id; without it the id is marked in the subject' })),
    caCertificate: Type.Optional(Type.String({ maxLength: 20_000, title: 'CA certificate (PEM)', description: 'Trust a private CA for Redmine' })),
    pinSha256: Type.Optional(Type.String({ pattern: '^(sha-?256[:=]?)?[0-9A-Fa-f:]{64,95}$', title: 'Pinned certificate SHA-256', description: "Accept exactly this server certificate (hex, colons optional)" })),
    verifyTls: Type.Boolean({ default: true, title: 'Verify the TLS certificate', description: 'Turn off for lab setups only; prefer a CA or a pin' }),
    timeoutSeconds: Type.Integer({ minimum: 1, maximum: 120, default: 15, title: 'Timeout, seconds' }),
    proxy: Type.Boolean({ default: false, title: 'Use the installation proxy', description: 'Root tenant only' }),
  },
  { additionalProperties: false },
);

export const secretsSchema = Type.Object(
  { apiKey: Type.String({ minLength: 8, maxLength: 200, title: 'API key', description: 'REST API key of the Redmine user xdrhub acts as (write-only)' }) },
  { additionalProperties: false },
);

export type RedmineConfig = Static<typeof configSchema>;
export type RedmineSecrets = Static<typeof secretsSchema>;
export type MappableStatus = (typeof MAPPABLE_STATUSES)[number];
