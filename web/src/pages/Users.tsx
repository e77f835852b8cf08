import { Badge, Button, Group, Modal, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, qs, type ManagedUser } from '../api.ts';
import { flattenTree, useMe, usePerms, useSubtree, useTenantId, useTenantInfo, useTenants } from '../session.ts';
import { GuardedButton } from '../components/Guarded.tsx';
import { Empty, ErrorText, Failed, Loading } from '../components/States.tsx';
import { CreateUserDialog } from '../components/CreateUserDialog.tsx';
import { RolesDialog } from '../components/RolesDialog.tsx';
import { EditUserDialog } from '../components/EditUserDialog.tsx';

const PAGE = 25;

/** Settings → Users: users homed in this tenant or its descendants, their status and role assignments. */
export function UsersPage() {
  const tenantId = useTenantId();
  const perms = usePerms(tenantId);
  const info = useTenantInfo(tenantId);
  const [q, setQ] = useState('');
  const [offset, setOffset] = useState(0);
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const allowed = perms.can('users.manage');
  const list = useQuery({
    queryKey: ['users', tenantId, q, offset],
    queryFn: () => api.get<{ items: ManagedUser[]; total: number }>(`/tenants/${tenantId}/users${qs({ q, limit: PAGE, offset })}`),
    enabled: allowed,
    placeholderData: (prev) => prev,
  });
  if (perms.loading) return <Loading what="your permissions" />;
  if (!allowed) return <Empty title="Users are managed by administrators" hint={perms.why('users.manage')!} />;
  const pages = Math.max(1, Math.ceil((list.data?.total ?? 0) / PAGE));

  return (
    <Stack>
      <Group justify="space-between">
        <div>
          <Title order={2}>Users</Title>
          <Text size="sm" c="dimmed">Users homed in {info.data?.tenant.name ?? 'this tenant'} and its descendants. A role on a tenant applies to its descendants too.</Text>
        </div>
        <Button onClick={() => setCreating(true)}>New user…</Button>
      </Group>
      <TextInput label="Find by user name" placeholder="e.g. analyst" maw={320} value={q} onChange={(e) => { setQ(e.currentTarget.value); setOffset(0); }} />
      {notice && <Text size="sm" role="status">{notice}</Text>}
      {list.isLoading ? (
        <Loading what="users" />
      ) : list.error ? (
        <Failed what="users" error={list.error} retry={() => list.refetch()} />
      ) : !list.data?.items.length ? (
        <Empty title={q ? 'No user matches' : 'No users here yet'} hint={q ? 'Try another part of the user name.' : 'Create one with New user…; give them a role on this tenant or a customer below it.'} />
      ) : (
        <>
          <UsersTable tenantId={tenantId} users={list.data.items} onRoles={setEditing} onNotice={setNotice} />
          <Group justify="space-between">
            <Text size="sm" c="dimmed">{list.data.total} user(s) · page {offset / PAGE + 1} of {pages}</Text>
            <Group gap="xs">
              <Button size="xs" variant="default" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>Previous</Button>
              <Button size="xs" variant="default" disabled={offset + PAGE >= list.data.total} onClick={() => setOffset(offset + PAGE)}>Next</Button>
            </Group>
          </Group>
        </>
      )}
      <CreateUserDialog tenantId={tenantId} opened={creating} onClose={() => setCreating(false)}
        onCreated={(u, generated) => { setNotice(generated ? `${u.username} created. Their generated password, shown once: ${generated}` : `${u.username} created.`); setEditing(u.id); }} />
      {editing && <RolesDialog tenantId={tenantId} userId={editing} onClose={() => setEditing(null)} />}
    </Stack>
  );
}

function UsersTable({ tenantId, users, onRoles, onNotice }: { tenantId: string; users: ManagedUser[]; onRoles: (id: string) => void; onNotice: (n: string) => void }) {
  const qc = useQueryClient();
  const me = useMe();
  const subtree = useSubtree(tenantId);
  const all = flattenTree(useTenants().data ?? []);
  const [deleting, setDeleting] = useState<ManagedUser | null>(null);
  const [editing, setEditing] = useState<ManagedUser | null>(null);
  const nameOf = (id: string) => all.find((t) => t.id === id)?.name ?? subtree.find((t) => t.id === id)?.name ?? 'another tenant';
  const titleOf = (role: string) => me.data?.roles.find((r) => r.id === role)?.title ?? role;
  const patch = useMutation({
    mutationFn: (v: { user: ManagedUser; disabled: boolean }) => api.patch<ManagedUser>(`/tenants/${tenantId}/users/${v.user.id}`, { disabled: v.disabled }),
    onSuccess: (u) => { onNotice(`${u.username} ${u.disabled ? 'disabled: their sessions ended' : 'enabled'}.`); void qc.invalidateQueries({ queryKey: ['users', tenantId] }); },
  });
  const remove = useMutation({
    mutationFn: (u: ManagedUser) => api.del(`/tenants/${tenantId}/users/${u.id}`),
    onSuccess: (_r, u) => { onNotice(`${u.username} deleted.`); setDeleting(null); void qc.invalidateQueries({ queryKey: ['users', tenantId] }); },
  });
  const self = (u: ManagedUser) => (u.id === me.data?.user.id ? 'This is your own account: another administrator must change it.' : undefined);
  return (
    <>
      <ErrorText error={patch.error} />
      <Table verticalSpacing="xs" striped aria-label="Users">
        <Table.Thead>
          <Table.Tr><Table.Th>User name</Table.Th><Table.Th>Name</Table.Th><Table.Th>Home tenant</Table.Th><Table.Th>Roles</Table.Th><Table.Th>Status</Table.Th><Table.Th aria-label="Controls" /></Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {users.map((u) => (
            <Table.Tr key={u.id}>
              <Table.Td><Text size="sm" ff="monospace">{u.username}</Text></Table.Td>
              <Table.Td><Text size="sm">{u.displayName}</Text>{u.email && <Text size="xs" c="dimmed">{u.email}</Text>}</Table.Td>
              <Table.Td><Text size="sm">{nameOf(u.tenantId)}</Text></Table.Td>
              <Table.Td>
                <Group gap={4}>
                  {u.roles.length ? u.roles.map((r) => <Badge key={r.id} size="sm" variant="light" tt="none">{titleOf(r.role)} · {nameOf(r.tenantId)}</Badge>) : <Text size="xs" c="dimmed">no role: cannot see anything</Text>}
                </Group>
              </Table.Td>
              <Table.Td>{u.disabled ? <Badge color="gray" size="sm">Disabled</Badge> : <Badge color="green" size="sm" variant="light">Active</Badge>}</Table.Td>
              <Table.Td>
                <Group gap={4} wrap="nowrap">
                  <Button size="xs" variant="light" onClick={() => setEditing(u)} aria-label={`Edit ${u.username}`}>Edit…</Button>
                  <Button size="xs" variant="light" onClick={() => onRoles(u.id)} aria-label={`Roles of ${u.username}`}>Roles…</Button>
                  <GuardedButton size="xs" variant="default" reason={self(u)} loading={patch.isPending && patch.variables?.user.id === u.id} onClick={() => patch.mutate({ user: u, disabled: !u.disabled })} aria-label={`${u.disabled ? 'Enable' : 'Disable'} ${u.username}`}>
                    {u.disabled ? 'Enable' : 'Disable'}
                  </GuardedButton>
                  <GuardedButton size="xs" color="red" variant="subtle" reason={self(u)} onClick={() => { remove.reset(); setDeleting(u); }} aria-label={`Delete ${u.username}`}>Delete…</GuardedButton>
                </Group>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {editing && (
        <EditUserDialog tenantId={tenantId} user={editing} self={editing.id === me.data?.user.id} onClose={() => setEditing(null)}
          onSaved={(u, passwordSet) => onNotice(`${u.username} saved.${passwordSet ? ' Their new password is set and their sessions ended: tell them the password another way.' : ''}`)} />
      )}
      <Modal opened={!!deleting} onClose={() => setDeleting(null)} title={`Delete ${deleting?.username ?? ''}`}>
        <Stack>
          <Text size="sm">Their sessions, API tokens and role assignments are removed, and they can no longer sign in. The audit log keeps what they did. This cannot be undone; to only stop them for now, Disable them instead.</Text>
          <ErrorText error={remove.error} />
          <Group justify="end">
            <Button variant="default" onClick={() => setDeleting(null)} data-autofocus>Cancel</Button>
            <Button color="red" loading={remove.isPending} onClick={() => deleting && remove.mutate(deleting)}>Delete user</Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
