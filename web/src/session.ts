import { useQuery } from '@tanstack/react-query';
import { useParams } from 'react-router';
import { api, ApiError, type Me, type TenantInfo, type TenantNode } from './api.ts';

export function useMe() {
  return useQuery({
    queryKey: ['me'],
    queryFn: () => api.get<Me>('/me'),
    retry: (n, e) => !(e instanceof ApiError && e.status === 401) && n < 2,
    staleTime: 60_000,
  });
}

export function useTenants() {
  return useQuery({ queryKey: ['tenants'], queryFn: () => api.get<{ items: TenantNode[] }>('/tenants').then((r) => r.items) });
}

export function flattenTree(nodes: TenantNode[], out: TenantNode[] = []): TenantNode[] {
  for (const n of nodes) {
    out.push(n);
    flattenTree(n.children ?? [], out);
  }
  return out;
}

/** This tenant and its descendants, from the tree the user can see (for tenant pickers and names). */
export function useSubtree(tenantId: string): TenantNode[] {
  const tenants = useTenants();
  const find = (nodes: TenantNode[]): TenantNode | undefined => {
    for (const n of nodes) {
      if (n.id === tenantId) return n;
      const hit = find(n.children ?? []);
      if (hit) return hit;
    }
    return undefined;
  };
  const root = find(tenants.data ?? []);
  return root ? flattenTree([root]) : [];
}

export function useTenantId(): string {
  return useParams().tenantId ?? '';
}

export function useTenantInfo(tenantId: string) {
  return useQuery({ queryKey: ['tenant', tenantId], queryFn: () => api.get<TenantInfo>(`/tenants/${tenantId}`), enabled: !!tenantId });
}

export const PERMISSION_WORDS: Record<string, string> = {
  'tenants.write': 'change tenants',
  'tenants.delete': 'delete tenants',
  'integrations.read': 'see integrations',
  'integrations.write': 'change integration settings',
  'alerts.read': 'see alerts',
  'alerts.write': 'change alerts',
  'response.launch': 'launch response actions',
  'response.approve': 'approve response actions',
  'playbooks.write': 'edit playbooks',
  'playbooks.launch': 'launch playbooks',
  'history.read': 'see the response history',
  'users.manage': 'manage users',
  'audit.read': 'read the audit log',
};

export interface Perms {
  loading: boolean;
  roles: string[];
  can(permission: string): boolean;
  /** Why a control is disabled, in words; undefined when allowed. */
  why(permission: string): string | undefined;
}

/** What the signed-in user may do on a tenant: the tenant's roles (inherited included) × the role → permissions table. */
export function usePerms(tenantId: string): Perms {
  const me = useMe();
  const info = useTenantInfo(tenantId);
  const roles = info.data?.roles ?? [];
  const granted = new Set<string>();
  for (const r of me.data?.roles ?? []) if (roles.includes(r.id)) for (const p of r.permissions) granted.add(p);
  const titles = (me.data?.roles ?? []).filter((r) => roles.includes(r.id)).map((r) => r.title);
  return {
    loading: me.isLoading || info.isLoading,
    roles,
    can: (p) => granted.has(p),
    why: (p) =>
      granted.has(p)
        ? undefined
        : `Your role${titles.length === 1 ? '' : 's'} on this tenant (${titles.join(', ') || 'none'}) cannot ${PERMISSION_WORDS[p] ?? p}; ask an administrator.`,
  };
}

export function rolesWith(me: Me | undefined, permission: string): string {
  return (me?.roles ?? []).filter((r) => r.permissions.includes(permission)).map((r) => r.title).join(', ');
}
