import { X509Certificate } from 'node:crypto';
import { Type, type Static } from 'typebox';
import { defineConnector, type ActionTarget, type CheckResult, type CheckStage } from '../framework/contract.ts';
import { OutboundError } from '../../platform/outbound/index.ts';
import { KataConfigError, kataCall, resolveTrust, type KataContext, type KataTrust } from './client.ts';
import { generateKataIdentity } from './identity.ts';
import { addPreventionRule, deletePreventionRule, disableNetworkIsolation, enableNetworkIsolation, runExecutable } from './actions.ts';
import { kataConfigSchema, kataSecretsSchema, parseHost } from './settings.ts';
import { knowsHost } from './sensors.ts';

export { generateKataIdentity } from './identity.ts';
export { importDetects, detectToAlert } from './detects.ts';

/** What Check connection reports in `details.status` (SPEC.md §5). */
export type KataConnectionStatus = 'connected' | 'pendingApproval' | 'rejected' | 'unreachable' | 'tlsFailure' | 'notConfigured' | 'error';

const generateParams = Type.Object(
  {
    newXdrId: Type.Boolean({ default: false, title: 'New XDR ID too', description: 'Also replace the XDR ID (KATA then sees a new external system)' }),
    commonName: Type.Optional(Type.String({ minLength: 1, maxLength: 64, title: 'Certificate common name', description: 'Default: xdrhub <XDR ID>' })),
  },
  { additionalProperties: false },
);

export const kataConnector = defineConnector({
  type: 'kata',
  title: 'Kaspersky Anti Targeted Attack / KEDR',
  description: 'Endpoint response (network isolation, run executable, prevention rules) and alert import through the KATA Threat Response API, over mutual TLS with a generated client certificate the KATA administrator approves',
  configSchema: kataConfigSchema,
  secretsSchema: kataSecretsSchema,
  check: checkConnection,
  // A host belongs to one Central Node; anything else (a prevention rule for all hosts) goes to each.
  knowsTarget: async (ctx: KataContext, target: ActionTarget) => (target.kind === 'host' ? knowsHost(ctx, await resolveTrust(ctx), target) : null),
  actions: {
    generateIdentity: {
      title: 'Generate identity',
      description: 'Makes a new client certificate and private key (and an XDR ID when there is none); KATA must approve the new certificate before calls work again',
      targetKinds: ['none'],
      paramsSchema: generateParams,
      async execute(ctx: KataContext, _target: ActionTarget, params: Static<typeof generateParams>) {
        if (!ctx.updateOwnSettings) throw new KataConfigError('save the connection first: the identity is stored on it');
        const identity = await generateKataIdentity({
          algorithm: ctx.config.keyAlgorithm,
          validityDays: ctx.config.certificateValidityDays,
          commonName: params.commonName,
          xdrId: params.newXdrId ? undefined : ctx.config.xdrId,
        });
        const replaced = !!ctx.config.certificatePem;
        await ctx.updateOwnSettings({
          config: { xdrId: identity.xdrId, certificatePem: identity.certificatePem, certificateFingerprint: identity.fingerprintSha256 },
          secrets: { privateKey: identity.privateKeyPem },
        });
        const validUntil = new Date(new X509Certificate(identity.certificatePem).validTo).toISOString();
        return {
          summary: `${replaced ? 'replaced the client certificate' : 'generated a client certificate'} for XDR ID ${identity.xdrId} (fingerprint ${identity.fingerprintSha256}): KATA must approve it${replaced ? ' again' : ''} before calls work`,
          output: { xdrId: identity.xdrId, certificate: identity.certificatePem, fingerprint: identity.fingerprintSha256, algorithm: ctx.config.keyAlgorithm, validUntil, approvalRequired: true },
        };
      },
    },
    enableNetworkIsolation,
    disableNetworkIsolation,
    runExecutable,
    addPreventionRule,
    deletePreventionRule,
  },
});

/**
 * A harmless authenticated call (the sensors look-up of the loopback address) over the same
 * client, certificate and trust real calls use; the answer says where the connection stands.
 */
async function checkConnection(ctx: KataContext): Promise<CheckResult> {
  const ids = { xdrId: ctx.config.xdrId, certificateFingerprint: ctx.config.certificateFingerprint };
  try {
    parseHost(ctx.config.host);
  } catch (err) {
    return fail('config', `${(err as Error).message}: use a host name, an IPv4 or an IPv6 address`, 'notConfigured', ids);
  }
  let trust: KataTrust;
  try {
    trust = await resolveTrust(ctx);
  } catch (err) {
    return failure(err, ids);
  }
  const facts = { ...ids, serverFingerprint: trust.tls.pinSha256 ?? null, trust: trust.mode, ...(trust.firstUse ? { firstUse: trust.firstUse } : {}) };
  try {
    const res = await kataCall(ctx, trust, { method: 'GET', path: '/sensors', query: { ip: '127.0.0.1' }, accept: [401, 403] });
    if (res.status === 401) {
      return fail('authorize', `connected over TLS, but KATA has not approved this external system yet: ask the KATA administrator to accept the request of XDR ID ${ids.xdrId} with certificate fingerprint ${ids.certificateFingerprint} (Settings → External systems)`, 'pendingApproval', facts);
    }
    if (res.status === 403) {
      return fail('authorize', `KATA rejected this external system (XDR ID ${ids.xdrId}): generate a new identity and ask the administrator to accept it`, 'rejected', facts);
    }
    const recorded = trust.firstUse?.recorded ? `; the server's certificate ${trust.firstUse.fingerprint} was recorded on first use, a different one will be refused` : '';
    return { ok: true, stage: 'request', message: `connected to KATA at ${ctx.config.host}:${ctx.config.port}${recorded}`, details: { ...facts, status: 'connected' satisfies KataConnectionStatus } };
  } catch (err) {
    return failure(err, facts);
  }
}

function fail(stage: CheckStage, message: string, status: KataConnectionStatus, details: Record<string, unknown>, reason?: string): CheckResult {
  return { ok: false, stage, message, details: { ...details, status, ...(reason ? { reason } : {}) } };
}

function failure(err: unknown, details: Record<string, unknown>): CheckResult {
  if (err instanceof KataConfigError) return fail('config', err.message, 'notConfigured', details);
  if (err instanceof OutboundError) {
    if (err.kind === 'tls') {
      const serverSide = err.reason === 'untrusted' || err.reason === 'pinMismatch' || err.reason === 'expired' || err.reason === 'hostnameMismatch';
      const reason = serverSide ? 'serverNotTrusted' : 'clientCertificateRefused';
      return fail('tls', err.message, 'tlsFailure', { ...details, ...(err.peerFingerprint ? { presentedFingerprint: err.peerFingerprint } : {}), tlsReason: err.reason }, reason);
    }
    if (err.kind === 'resolve' || err.kind === 'connect' || err.kind === 'timeout') return fail(err.stage, err.message, 'unreachable', details);
    return fail(err.stage, err.message, 'error', details);
  }
  throw err;
}
