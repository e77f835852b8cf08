/**
 * The roles and the permission table of SPEC.md §1 — the single source of truth. Route
 * declarations name a permission; the access-matrix test is generated from this table.
 */
export const ROLES = [
  'main',
  'tenantAdmin',
  'socAdmin',
  'socManager',
  'junior',
  'tier1',
  'tier2',
  'approver',
  'observer',
] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_TITLES: Record<Role, string> = {
  main: 'Main administrator',
  tenantAdmin: 'Tenant administrator',
  socAdmin: 'SOC administrator',
  socManager: 'SOC manager',
  junior: 'Junior analyst',
  tier1: 'Tier 1 analyst',
  tier2: 'Tier 2 analyst',
  approver: 'Approver',
  observer: 'Observer',
};

const ALL: readonly Role[] = ROLES;

export const PERMISSION_ROLES = {
  'tenants.read': ALL,
  'tenants.write': ['main', 'tenantAdmin', 'socAdmin'],
  'tenants.delete': ['main', 'tenantAdmin'],
  'integrations.read': ['main', 'tenantAdmin', 'socAdmin', 'socManager', 'junior', 'tier1', 'tier2'],
  'integrations.write': ['main', 'tenantAdmin', 'socAdmin'],
  'alerts.read': ['main', 'tenantAdmin', 'socManager', 'junior', 'tier1', 'tier2', 'approver', 'observer'],
  'alerts.write': ['main', 'tenantAdmin', 'junior', 'tier1', 'tier2'],
  'response.launch': ['main', 'tenantAdmin', 'junior', 'tier1', 'tier2'],
  'response.approve': ['main', 'approver', 'tenantAdmin'],
  'playbooks.write': ['main', 'socAdmin', 'tenantAdmin', 'tier1', 'tier2'],
  'playbooks.launch': ['main', 'tenantAdmin', 'junior', 'tier1', 'tier2'],
  'history.read': ['main', 'tenantAdmin', 'socManager', 'junior', 'tier1', 'tier2', 'approver', 'observer'],
  'users.manage': ['main', 'tenantAdmin', 'socAdmin'],
  'audit.read': ['main', 'tenantAdmin', 'socAdmin'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSION_ROLES;
export const PERMISSIONS = Object.keys(PERMISSION_ROLES) as Permission[];

export function roleGrants(role: Role, permission: Permission): boolean {
  return (PERMISSION_ROLES[permission] as readonly Role[]).includes(role);
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
