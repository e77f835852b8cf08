import { Button, Group, Modal, Select, Stack, Table, Text } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, fieldOf, type ManagedUser, type RoleAssignment } from '../api.ts';
import { flattenTree, useMe, useSubtree, useTenants } from '../session.ts';
import { ErrorText, Failed, Loading } from './States.tsx';

/** A user's role assignments: remove one, or grant a role on this tenant or any tenant below it in the tree. */
export function RolesDialog({ tenantId, userId, onClose }: { tenantId: string; userId: string; onClose: () => void }) {
  const one = useQuery({ queryKey: ['users', tenantId, 'one', userId], queryFn: () => api.get<ManagedUser>(`/tenants/${tenantId}/users/${userId}`) });
  return (
    <Modal opened onClose={onClose} title={`Roles of ${one.data?.username ?? 'the user'}`} size="lg">
      {one.isLoading ? <Loading what="the user" /> : one.error ? <Failed what="the user" error={one.error} retry={() => one.refetch()} /> : <Roles tenantId={tenantId} user={one.data!} onClose={onClose} />}
    </Modal>
  );
}

function Roles({ tenantId, user, onClose }: { tenantId: string; user: ManagedUser; onClose: () => void }) {
  const qc = useQueryClient();
  const me = useMe();
  const subtree = useSubtree(tenantId);
  const all = flattenTree(useTenants().data ?? []);
  const [target, setTarget] = useState<string | null>(tenantId);
  const [role, setRole] = useState<string | null>(null);
  const base = subtree[0]?.depth ?? 0;
  const targetNode = subtree.find((t) => t.id === target);
  const nameOf = (id: string) => all.find((t) => t.id === id)?.name ?? 'a tenant outside this one';
  const titleOf = (r: string) => me.data?.roles.find((x) => x.id === r)?.title ?? r;
  const done = () => void qc.invalidateQueries({ queryKey: ['users', tenantId] });
  const grant = useMutation({
    mutationFn: () => api.post<RoleAssignment>(`/tenants/${tenantId}/users/${user.id}/roles`, { tenantId: target, role }),
    onSuccess: () => { setRole(null); done(); },
  });
  const revoke = useMutation({ mutationFn: (a: RoleAssignment) => api.del(`/tenants/${tenantId}/users/${user.id}/roles/${a.id}`), onSuccess: done });
  // Main administrator exists on Root only; the server has the last word on who may grant what.
  const roles = (me.data?.roles ?? []).filter((r) => r.id !== 'main' || targetNode?.kind === 'root');
  const field = fieldOf(grant.error);

  return (
      <Stack>
        {user.roles.length ? (
          <Table verticalSpacing={4} aria-label={`Role assignments of ${user.username}`}>
            <Table.Thead><Table.Tr><Table.Th>Tenant</Table.Th><Table.Th>Role</Table.Th><Table.Th aria-label="Controls" /></Table.Tr></Table.Thead>
            <Table.Tbody>
              {user.roles.map((a) => (
                <Table.Tr key={a.id}>
                  <Table.Td><Text size="sm">{nameOf(a.tenantId)}</Text></Table.Td>
                  <Table.Td><Text size="sm">{titleOf(a.role)}</Text></Table.Td>
                  <Table.Td>
                    <Button size="xs" variant="subtle" color="red" loading={revoke.isPending && revoke.variables?.id === a.id} onClick={() => revoke.mutate(a)}
                      aria-label={`Remove ${titleOf(a.role)} on ${nameOf(a.tenantId)}`}>Remove</Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        ) : (
          <Text size="sm" c="dimmed">No roles yet: {user.username} can sign in but sees no tenant. Grant a role below.</Text>
        )}
        <ErrorText error={revoke.error} />
        <Stack gap="xs" component="form" onSubmit={(e) => { e.preventDefault(); if (target && role) grant.mutate(); }}>
          <Text fw={600} size="sm">Grant a role</Text>
          <Group align="start" grow>
            <Select label="On tenant" required searchable allowDeselect={false} value={target} onChange={setTarget}
              data={subtree.map((t) => ({ value: t.id, label: `${'\u00a0\u00a0\u00a0'.repeat(t.depth - base)}${t.name}` }))}
              error={field === 'tenantId' ? (grant.error as Error).message : undefined} />
            <Select label="Role" required placeholder="Choose a role" value={role} onChange={setRole}
              data={roles.map((r) => ({ value: r.id, label: r.title }))} error={field === 'role' ? (grant.error as Error).message : undefined} />
          </Group>
          <Text size="xs" c="dimmed">The role applies to the tenant and everything below it.</Text>
          {!field && <ErrorText error={grant.error} />}
          <Group justify="space-between">
            <Button type="submit" disabled={!target || !role} loading={grant.isPending}>Grant role</Button>
            <Button variant="default" onClick={onClose}>Done</Button>
          </Group>
        </Stack>
      </Stack>
  );
}
