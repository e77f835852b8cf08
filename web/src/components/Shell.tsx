import { AppShell, Badge, Button, Group, NavLink, Select, Stack, Text, Title, Tooltip } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { Link, Navigate, Outlet, useLocation, useNavigate } from 'react-router';
import { api, ApiError } from '../api.ts';
import { flattenTree, useMe, usePerms, useTenantId, useTenantInfo, useTenants } from '../session.ts';
import { Failed, Loading } from './States.tsx';

const NAV: { to: string; label: string; permission: string }[] = [
  { to: 'alerts', label: 'Alerts', permission: 'alerts.read' },
  { to: 'incidents', label: 'Incidents', permission: 'alerts.read' },
  { to: 'approvals', label: 'Approvals', permission: 'response.approve' },
  { to: 'response', label: 'Response history', permission: 'history.read' },
  { to: 'playbooks', label: 'Playbooks', permission: 'alerts.read' },
  { to: 'runs', label: 'Playbook runs', permission: 'history.read' },
  { to: 'tenants', label: 'Settings → Tenants', permission: 'tenants.read' },
  { to: 'users', label: 'Settings → Users', permission: 'users.manage' },
  { to: 'audit', label: 'Audit log', permission: 'audit.read' },
];

/** "/" goes to the first tenant the user holds a role on. */
export function Home() {
  const me = useMe();
  const tenants = useTenants();
  if (me.error instanceof ApiError && me.error.status === 401) return <Navigate to="/login" replace />;
  if (me.isLoading || tenants.isLoading) return <Loading what="your tenants" />;
  if (me.error || tenants.error) return <Failed what="your account" error={me.error ?? tenants.error} />;
  const all = flattenTree(tenants.data ?? []);
  const home = all.find((t) => me.data!.user.roles.some((r) => r.tenantId === t.id) && t.kind !== 'shared') ?? all[0];
  if (!home) return <Failed what="tenants" error={new Error('You hold no role on any tenant: ask an administrator to grant you one.')} />;
  return <Navigate to={`/t/${home.id}/alerts`} replace />;
}

function TenantSwitcher() {
  const tenantId = useTenantId();
  const tenants = useTenants();
  const navigate = useNavigate();
  const location = useLocation();
  const data = flattenTree(tenants.data ?? []).map((t) => ({ value: t.id, label: `${'\u00a0\u00a0\u00a0'.repeat(t.depth)}${t.name}` }));
  return (
    <Select
      aria-label="Tenant"
      placeholder="Tenant"
      data={data}
      value={tenantId}
      w={280}
      searchable
      allowDeselect={false}
      comboboxProps={{ withinPortal: true }}
      onChange={(id) => {
        if (!id) return;
        const section = location.pathname.split('/')[3] ?? 'alerts';
        navigate(`/t/${id}/${section}`);
      }}
    />
  );
}

function UserMenu() {
  const me = useMe();
  const tenantId = useTenantId();
  const qc = useQueryClient();
  const navigate = useNavigate();
  async function signOut() {
    try {
      await api.post('/auth/logout');
    } finally {
      qc.clear();
      navigate('/login', { replace: true });
    }
  }
  return (
    <Group gap="sm">
      <Tooltip label="My account: your password and API tokens" withArrow>
        <Button component={Link} to={`/t/${tenantId}/account`} variant="subtle" size="xs" aria-label={`My account (signed in as ${me.data?.user.displayName || me.data?.user.username})`}>
          {me.data?.user.displayName || me.data?.user.username}
        </Button>
      </Tooltip>
      <Button variant="subtle" size="xs" onClick={signOut}>Sign out</Button>
    </Group>
  );
}

export function Shell() {
  const tenantId = useTenantId();
  const me = useMe();
  const info = useTenantInfo(tenantId);
  const perms = usePerms(tenantId);
  const location = useLocation();
  if (me.error instanceof ApiError && me.error.status === 401) return <Navigate to={`/login?next=${encodeURIComponent(location.pathname)}`} replace />;
  if (me.isLoading) return <Loading what="your session" />;

  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 220, breakpoint: 0 }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="md" wrap="nowrap">
            <Link to="/" style={{ textDecoration: 'none', color: 'inherit' }} aria-label="xdrhub home"><Title order={4}>xdrhub</Title></Link>
            <TenantSwitcher />
            {info.data && <Group gap={4}>{info.data.roles.map((r) => <Badge key={r} variant="light" size="sm">{me.data?.roles.find((x) => x.id === r)?.title ?? r}</Badge>)}</Group>}
          </Group>
          <UserMenu />
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Sections">
        <Stack gap={2}>
          {NAV.map((n) => {
            const reason = perms.loading ? undefined : perms.why(n.permission);
            const active = location.pathname.split('/')[3] === n.to;
            return reason ? (
              <Tooltip key={n.to} label={reason} multiline w={260} position="right" withArrow>
                <NavLink label={n.label} disabled aria-disabled description="not for your role" />
              </Tooltip>
            ) : (
              <NavLink key={n.to} component={Link} to={`/t/${tenantId}/${n.to}`} label={n.label} active={active} />
            );
          })}
        </Stack>
      </AppShell.Navbar>
      <AppShell.Main>
        {info.error ? <Failed what="this tenant" error={info.error} /> : <Outlet />}
      </AppShell.Main>
    </AppShell>
  );
}
