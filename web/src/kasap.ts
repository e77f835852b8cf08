/**
 * KASAP (security awareness) for account assets. Everything goes through the normal response launch
 * API: a lookup is the read-only `lookup` action, recorded in the response history like any other,
 * so it is audited and its last result survives a reload; group changes are `assignGroup` with
 * approval and undo. These hooks find the tenant's KASAP integration and read those entries back.
 */
import { useQuery } from '@tanstack/react-query';
import { api, isFinished, launchAction, type Asset, type CatalogueItem, type Integration, type ItemRef, type Page, type ResponseAction } from './api.ts';
import { usePerms } from './session.ts';

export interface KasapInstance { instanceId: string; instanceName: string; canAssign: boolean }
export interface KasapCourse { id: string; name: string; progress?: number; completedAt?: string | null }
export interface KasapGroup { id: string; name: string; courses: { id: string; name: string }[] }
export type KasapTraining =
  | { found: false; email: string }
  | {
      found: true; userId: string; email: string; fullName: string | null; group: { id: string; name: string } | null;
      completed: KasapCourse[]; inProgress: KasapCourse[]; planned: KasapCourse[]; certificates: { id: string; course: string; issuedAt: string }[];
    };

/**
 * The tenant's enabled KASAP integration. Launchers read it from the response catalogue; users who
 * may not launch but may see integrations learn it exists (to show the control disabled with the
 * reason); for anyone else it stays unknown and the KASAP controls are not shown.
 */
export function useKasap(tenantId: string): { instance: KasapInstance | null; known: boolean; reason?: string; loading: boolean; error: unknown } {
  const perms = usePerms(tenantId);
  const canLaunch = perms.can('response.launch');
  const canSee = perms.can('integrations.read');
  const catalogue = useQuery({
    queryKey: ['catalogue', tenantId],
    queryFn: () => api.get<{ items: CatalogueItem[] }>(`/tenants/${tenantId}/response/catalogue`).then((r) => r.items),
    enabled: canLaunch,
  });
  const integrations = useQuery({
    queryKey: ['integrations', tenantId],
    queryFn: () => api.get<{ items: Integration[] }>(`/tenants/${tenantId}/integrations?limit=200`).then((r) => r.items),
    enabled: !canLaunch && canSee && !perms.loading,
  });
  if (perms.loading) return { instance: null, known: false, loading: true, error: null };
  if (canLaunch) {
    const lookup = catalogue.data?.find((c) => c.type === 'kasap' && c.action === 'lookup');
    const instance = lookup
      ? { instanceId: lookup.instanceId, instanceName: lookup.instanceName, canAssign: !!catalogue.data?.some((c) => c.instanceId === lookup.instanceId && c.action === 'assignGroup') }
      : null;
    return { instance, known: !!instance, reason: perms.why('history.read'), loading: catalogue.isLoading, error: catalogue.error };
  }
  const kasap = integrations.data?.find((i) => i.type === 'kasap' && i.enabled);
  return {
    instance: kasap ? { instanceId: kasap.id, instanceName: kasap.name, canAssign: true } : null,
    known: !!kasap,
    reason: perms.why('response.launch'),
    loading: integrations.isLoading,
    error: integrations.error,
  };
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;

/** The e-mail KASAP will match, as the connector picks it; null: the account has none. */
export function accountEmail(asset: Asset): string | null {
  const at = asset.attributes;
  const found = [at.login, at.email, at.mail, at.upn, at.userPrincipalName].find((c): c is string => typeof c === 'string' && EMAIL.test(c.trim()));
  return found ? found.trim().toLowerCase() : null;
}

/**
 * The alert's or incident's response history: the same query (and cache) as its Response history tab.
 * An incident's history holds what was launched from the incident (launches record incidentId).
 */
export function useItemActions(item: ItemRef, watch: (items: ResponseAction[]) => boolean) {
  return useQuery({
    queryKey: ['history', item.tenantId, item.kind, item.id],
    queryFn: () => api.get<Page<ResponseAction>>(`/tenants/${item.tenantId}/response/actions?${item.kind}Id=${item.id}&limit=100`),
    refetchInterval: (q) => (q.state.data && watch(q.state.data.items) ? 1000 : false),
  });
}

/**
 * The newest entry of one of `actions` by this KASAP instance on one of `assetIds` (newest first
 * from the API). An incident's account row stands for the same account on several alerts, so any
 * of their asset ids counts.
 */
export function latestOn(items: ResponseAction[] | undefined, instanceId: string, assetIds: string | string[], actions: string[]): ResponseAction | undefined {
  const ids = typeof assetIds === 'string' ? [assetIds] : assetIds;
  return items?.find((a) => a.instanceId === instanceId && actions.includes(a.action) && ids.includes(String(a.target.attributes?.assetId)));
}

const GROUPS_FRESH_MS = 10 * 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits for a history entry to finish (or to wait for an approver); gives up after `timeoutMs`. */
export async function waitForEntry(tenantId: string, id: string, timeoutMs = 30_000): Promise<ResponseAction> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const a = await api.get<ResponseAction>(`/tenants/${tenantId}/response/actions/${id}`);
    if (isFinished(a) || a.status === 'awaitingApproval') return a;
    if (Date.now() > deadline) throw new Error(`KASAP has not answered after ${Math.round(timeoutMs / 1000)} s (the action is ${a.status}): see Response history, then retry.`);
    await sleep(700);
  }
}

/**
 * The learning groups: the output of a recent successful `listGroups` of this instance when there is
 * one (no new history entry for every dialog opened), else a new `listGroups` launch, waited for.
 */
export function useKasapGroups(tenantId: string, instanceId: string, enabled: boolean) {
  return useQuery({
    queryKey: ['kasap-groups', tenantId, instanceId],
    enabled,
    staleTime: GROUPS_FRESH_MS,
    retry: false,
    refetchOnWindowFocus: false,
    queryFn: async (): Promise<{ groups: KasapGroup[]; at: string | null }> => {
      const recent = await api.get<Page<ResponseAction>>(`/tenants/${tenantId}/response/actions?action=listGroups&status=succeeded&limit=20`);
      let entry = recent.items.find((a) => a.instanceId === instanceId && a.finishedAt && Date.now() - Date.parse(a.finishedAt) < GROUPS_FRESH_MS);
      if (!entry) {
        const launched = await launchAction(tenantId, { instanceId, action: 'listGroups', params: {}, targets: [{ kind: 'none', value: '' }], approval: { required: false } });
        entry = await waitForEntry(tenantId, launched.actions[0].id);
      }
      if (entry.status !== 'succeeded') throw new Error(`Listing the KASAP learning groups ${entry.status === 'awaitingApproval' ? 'waits for an approver' : `ended ${entry.status}`}: ${entry.error ?? 'see Response history'}.`);
      const groups = (entry.result?.output?.groups ?? []) as KasapGroup[];
      return { groups, at: entry.finishedAt };
    },
  });
}
