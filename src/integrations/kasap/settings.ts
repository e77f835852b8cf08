import { Type, type Static } from 'typebox';

/** Settings of the KASAP integration (SPEC.md §6, reference §2.3). */
export const kasapConfigSchema = Type.Object(
  {
    openapiUrl: Type.String({ format: 'uri', pattern: '^https://', maxLength: 2048, title: 'OpenAPI URL', description: 'The company\'s OpenAPI URL shown at the bottom of KASAP → Import and sync → OpenAPI' }),
    adminEmail: Type.String({ format: 'email', maxLength: 320, title: 'Administrator e-mail', description: 'KASAP notifies this address when xdrhub changes a user\'s learning group' }),
    tokenIssuedAt: Type.Optional(Type.String({ format: 'date', title: 'Token issued on', description: 'Date the token was issued (YYYY-MM-DD): xdrhub shows its age and warns from month 11 of its 12' })),
    caCertificate: Type.Optional(Type.String({ maxLength: 50_000, title: 'CA certificate (PEM)', description: 'Only for an on-premises KASAP with a private CA' })),
    timeoutSeconds: Type.Integer({ minimum: 1, maximum: 120, default: 20, title: 'Timeout, seconds' }),
    proxy: Type.Boolean({ default: false, title: 'Use the installation proxy', description: 'Root tenant only' }),
  },
  { additionalProperties: false },
);

export const kasapSecretsSchema = Type.Object(
  { token: Type.String({ minLength: 8, maxLength: 4096, title: 'OpenAPI token', description: 'Token with the rights GET /openapi/v1/groups, POST /openapi/v1/report, PATCH /openapi/v1/user/:userid (write-only)' }) },
  { additionalProperties: false },
);

export type KasapConfig = Static<typeof kasapConfigSchema>;
export type KasapSecrets = Static<typeof kasapSecretsSchema>;
