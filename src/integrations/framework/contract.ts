import type { TObject, TSchema, Static } from 'typebox';
import type { Logger } from '../../platform/log/index.ts';
import type { OutboundClient } from '../../platform/outbound/index.ts';

/**
 * The connector contract (DESIGN.md). Adding a product is one folder that exports a
 * `ConnectorType` and one line in the registry. Connectors never read the database, the
 * environment or other tenants: the framework hands them their decrypted config and secrets,
 * a logger and the outbound client.
 */

/** Where a check failed, in the order a connection is built. */
export type CheckStage = 'config' | 'resolve' | 'connect' | 'tls' | 'authenticate' | 'authorize' | 'quota' | 'request';

export interface CheckResult {
  ok: boolean;
  /** The stage that failed (or the last one passed when ok). */
  stage: CheckStage;
  /** Words for the user: what happened and what to do. */
  message: string;
  /** Non-secret facts worth showing (server version, quota left, fingerprint seen …). */
  details?: Record<string, unknown>;
}

/** What an action acts on. */
export type TargetKind =
  | 'none'
  | 'alert'
  | 'incident'
  | 'host'
  | 'account'
  | `observable:${'ip' | 'domain' | 'url' | 'md5' | 'sha1' | 'sha256' | 'email' | 'userName' | 'hostName' | 'filePath' | 'processName' | 'registryKey'}`;

export interface ConnectorContext<C = Record<string, unknown>, S = Record<string, string>> {
  instance: { id: string; tenantId: string; name: string; type: string };
  config: C;
  secrets: Partial<S>;
  /**
   * When each secret field got its current value (epoch ms), by field — times only, never
   * values. A copy to a child tenant keeps the parent's time (it is the same credential); null:
   * a value typed into a draft check and not saved. Always set by the framework; absent only on
   * contexts built by hand (tests).
   */
  secretsSetAt?: Record<string, number | null>;
  /** Last recorded successful use of each secret field's current value (epoch ms); null: none since it was set. */
  secretsUsedAt?: Record<string, number | null>;
  /**
   * Reports that a call authenticated with this secret field succeeded (for credentials revoked
   * when unused). Cheap to call after every call: the framework writes at most once a day per
   * field, only for the value this context holds, updates `secretsUsedAt`, and never fails the
   * caller over it. Absent on draft checks, which must leave nothing behind.
   */
  noteSecretUsed?(field: string): Promise<void>;
  logger: Logger;
  /** The one outbound client; `useProxy` defaults to the instance's proxy toggle. */
  http: OutboundClient;
  /** Aborted when the tenant is deleted, the instance disabled, or the call times out. */
  signal: AbortSignal;
  /**
   * Writes this instance's own settings: config fields merged over the stored ones (null
   * removes one) and secrets through the vault, audited without their values. For settings the
   * connector produces itself (a generated client identity, a server fingerprint recorded on
   * first use). Absent on draft checks, which must leave nothing behind. `ctx.config` is not
   * refreshed: the connector uses what it wrote.
   */
  updateOwnSettings?(patch: OwnSettingsPatch): Promise<void>;
}

/** What a connector may read about a saved instance without calling out (ConnectorType.status). */
export interface InstanceFacts<C = Record<string, unknown>> {
  config: C;
  /** As ConnectorContext.secretsSetAt, for the stored secrets. */
  secretsSetAt: Record<string, number | null>;
  /** As ConnectorContext.secretsUsedAt. */
  secretsUsedAt: Record<string, number | null>;
}

/** Standing facts and warnings shown with an instance (its credential's age, say). */
export interface InstanceStatus {
  /** Sentences that say what is wrong or soon will be and what to do; empty when all is well. */
  warnings: string[];
  /** Non-secret facts (dates, ages). */
  details?: Record<string, unknown>;
}

export interface OwnSettingsPatch {
  config?: Record<string, unknown>;
  secrets?: Record<string, string>;
}

export interface ActionResult {
  /** One line for response history. */
  summary: string;
  /** Structured, non-secret output (available to later playbook steps). */
  output?: Record<string, unknown>;
}

export interface ConnectorAction<C = any, S = any, P extends TSchema = TSchema> {
  title: string;
  description: string;
  targetKinds: TargetKind[];
  paramsSchema: P;
  /** The action that undoes this one, if any (e.g. block ↔ unblock). */
  undo?: string;
  execute(ctx: ConnectorContext<C, S>, target: ActionTarget, params: Static<P>): Promise<ActionResult>;
}

export interface ActionTarget {
  kind: TargetKind;
  /** The value acted on: an IP, a host name, an account id … (none: empty string). */
  value: string;
  /** Extra facts about the target (asset ids per connector, the alert's fields …). */
  attributes?: Record<string, unknown>;
}

/** One value of a threat-intelligence answer (the Enrichment or Status update column). */
export interface EnrichmentResult {
  /** Red, Orange, Yellow, Grey or Green (OpenTIP/TIP zones). */
  zone: string;
  /** Short verdict in words (e.g. "Malware", "Clean", "No data"). */
  verdict: string;
  categories: string[];
  /** The facts the source returns for this observable type (first/last seen, country, WHOIS …). */
  keyFacts: Record<string, unknown>;
  /** Where it came from, e.g. "Kaspersky OpenTIP". */
  source: string;
  /** Epoch milliseconds of the upstream answer. */
  fetchedAt: number;
  /** The source's web page for this value. */
  portalUrl: string;
}

/** Quota facts a source reported with an answer (TIP's LicenseInfo). */
export interface LicenseFacts {
  accessType?: string;
  dayRequests?: number;
  dayQuota?: number;
  /** ISO date the token expires. */
  tokenExpiresAt?: string;
}

export interface EnrichAnswer {
  enrichment: EnrichmentResult;
  /** Sources with a quota-free reputation refresh (TIP Premium) fill the Status update column too. */
  statusUpdate?: EnrichmentResult;
  license?: LicenseFacts;
}

export interface ConnectorType<CS extends TObject = TObject, SS extends TObject = TObject> {
  type: string;
  title: string;
  description: string;
  configSchema: CS;
  /** Every property is a write-only secret. */
  secretsSchema: SS;
  /** Config properties accepted only on the Root tenant and dropped when copied to a child. */
  rootOnlyFields?: (keyof Static<CS> & string)[];
  /** At most one instance per tenant (e.g. threat intelligence). */
  singleton?: boolean;
  /** Observable types this connector can enrich. */
  enrichTypes?: string[];
  /**
   * Threat-intelligence sources: look one observable up (a type from `enrichTypes`). Failures
   * throw an Error whose message says what to do; `quotaExhaustedUntil` (epoch ms) on it means
   * no call with this credential can succeed before then.
   */
  enrich?(ctx: ConnectorContext<Static<CS>, Static<SS>>, observable: { type: string; value: string }): Promise<EnrichAnswer>;
  /** A quota-free reputation refresh (Status update column), where the source has one. */
  statusUpdate?(ctx: ConnectorContext<Static<CS>, Static<SS>>, observable: { type: string; value: string }): Promise<EnrichmentResult | null>;
  /**
   * Whether this instance can act on the target (a KATA Central Node that manages the host). With
   * several instances of the type, a playbook step sends each target to the first instance (by
   * name) that knows it. `null`: the target is not bound to one instance, so every instance acts
   * on it — as all do when a type has no `knowsTarget` (a blocklist on each firewall).
   */
  knowsTarget?(ctx: ConnectorContext<Static<CS>, Static<SS>>, target: ActionTarget): Promise<boolean | null>;
  /**
   * Standing warnings for the instance view, from stored settings and secret times only: no
   * network, no secret values; `now` is the time to judge ages by. Must not throw.
   */
  status?(facts: InstanceFacts<Static<CS>>, now: Date): InstanceStatus;
  /** Side-effect-free probe over exactly the client, credentials and proxy path real runs use. */
  check(ctx: ConnectorContext<Static<CS>, Static<SS>>): Promise<CheckResult>;
  actions: Record<string, ConnectorAction<Static<CS>, Static<SS>, any>>;
}

export function defineConnector<CS extends TObject, SS extends TObject>(type: ConnectorType<CS, SS>): ConnectorType<CS, SS> {
  return type;
}
