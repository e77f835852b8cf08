import { Type, type Static } from 'typebox';

/** Ideco object titles are limited to 42 characters, comments to 255 (API docs). */
const TITLE_MAX = 42;

export const configSchema = Type.Object(
  {
    address: Type.String({ format: 'uri', pattern: '^https://', maxLength: 2048, title: 'Address', description: 'Web interface address of the Ideco server, e.g. https://10.0.0.1:8443' }),
    caCertificate: Type.Optional(Type.String({ maxLength: 20_000, title: 'CA certificate (PEM)', description: "Trust a private CA for the server's certificate" })),
    pinSha256: Type.Optional(Type.String({ pattern: '^(sha-?256[:=]?)?[0-9A-Fa-f:]{64,95}$', title: 'Pinned certificate SHA-256', description: 'Accept exactly this server certificate (hex, colons optional): suits a self-signed appliance certificate' })),
    verifyTls: Type.Boolean({ default: true, title: 'Verify the TLS certificate', description: 'Turn off for lab setups only; prefer a CA or a pin' }),
    addressListName: Type.String({ minLength: 1, maxLength: TITLE_MAX, default: 'xdrhub blocked IPs', title: 'Managed address list', description: 'Title of the address list xdrhub adds blocked IPs to (created when absent)' }),
    ruleComment: Type.String({ minLength: 1, maxLength: 200, default: 'xdrhub: drop blocked IPs', title: 'Managed firewall rule', description: 'Comment that identifies the FORWARD drop rule xdrhub manages (created when absent)' }),
    blockDirection: Type.Union([Type.Literal('both'), Type.Literal('destination'), Type.Literal('source')], {
      default: 'both',
      title: 'Direction',
      description: 'Drop traffic to the listed IPs, from them, or both (one rule per direction)',
    }),
    contentCategoryName: Type.String({ minLength: 1, maxLength: TITLE_MAX, default: 'xdrhub blocked URLs', title: 'Managed content-filter category', description: 'User category xdrhub adds blocked URLs and domains to (created when absent)' }),
    contentRuleName: Type.String({ minLength: 1, maxLength: 200, default: 'xdrhub: deny blocked URLs', title: 'Managed content-filter rule', description: 'Name of the deny rule for that category (created when absent)' }),
    timeoutSeconds: Type.Integer({ minimum: 1, maximum: 120, default: 20, title: 'Timeout, seconds' }),
    proxy: Type.Boolean({ default: false, title: 'Use the installation proxy', description: 'Root tenant only' }),
  },
  { additionalProperties: false },
);

export const secretsSchema = Type.Object(
  {
    login: Type.String({ minLength: 1, maxLength: 256, title: 'Login', description: 'Administrator login (admin, admin@domain for AD, admin@radius) (write-only)' }),
    password: Type.String({ minLength: 1, maxLength: 1024, title: 'Password', description: 'Administrator password (write-only)' }),
  },
  { additionalProperties: false },
);

export type IdecoConfig = Static<typeof configSchema>;
export type IdecoSecrets = Static<typeof secretsSchema>;
