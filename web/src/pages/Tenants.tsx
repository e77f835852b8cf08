import { Alert, Badge, Button, Group, Modal, Paper, Stack, Tabs, Text, TextInput, Title, UnstyledButton } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { api, type TenantNode } from '../api.ts';
import { when } from '../format.ts';
import { flattenTree, usePerms, useTenantId, useTenants } from '../session.ts';
import { GuardedButton } from '../components/Guarded.tsx';
import { ErrorText, Failed, Loading } from '../components/States.tsx';
import { IntegrationSettings } from '../components/IntegrationSettings.tsx';

function Tree({ nodes, selected, onSelect, nested }: { nodes: TenantNode[]; selected: string; onSelect: (id: string) => void; nested?: boolean }) {
  return (
    <ul role={nested ? 'group' : 'tree'} aria-label={nested ? undefined : 'Tenant tree'} style={{ listStyle: 'none', margin: 0, paddingLeft: 0 }}>
      {nodes.map((n) => (
        <li key={n.id} role="treeitem" aria-selected={n.id === selected} aria-expanded={n.children.length ? true : undefined}>
          <UnstyledButton onClick={() => onSelect(n.id)} px="xs" py={4} w="100%" style={{ borderRadius: 4, background: n.id === selected ? 'var(--mantine-color-indigo-light)' : undefined }}>
            <Group gap={6} wrap="nowrap">
              <Text size="sm" fw={n.id === selected ? 600 : 400}>{n.name}</Text>
              {n.kind !== 'customer' && <Badge size="xs" variant="outline">{n.kind}</Badge>}
            </Group>
          </UnstyledButton>
          {n.children.length > 0 && <div style={{ paddingLeft: 16 }}><Tree nodes={n.children} selected={selected} onSelect={onSelect} nested /></div>}
        </li>
      ))}
    </ul>
  );
}

export function TenantsPage() {
  const tenantId = useTenantId();
  const tenants = useTenants();
  const [params, setParams] = useSearchParams();
  const sel = params.get('sel') ?? tenantId;
  const select = (id: string) => setParams({ sel: id, tab: params.get('tab') ?? 'properties' }, { replace: true });
  if (tenants.isLoading) return <Loading what="the tenant tree" />;
  if (tenants.error) return <Failed what="the tenant tree" error={tenants.error} retry={() => tenants.refetch()} />;
  const node = flattenTree(tenants.data ?? []).find((t) => t.id === sel);
  return (
    <Stack>
      <Title order={2}>Settings → Tenants</Title>
      <Group align="start" wrap="nowrap" gap="lg">
        <Paper withBorder p="xs" w={240} style={{ flexShrink: 0 }}>
          <Tree nodes={tenants.data ?? []} selected={sel} onSelect={select} />
        </Paper>
        <div style={{ flex: 1, minWidth: 0 }}>
          {node ? <TenantPanel key={node.id} node={node} tab={params.get('tab') ?? 'properties'} onTab={(t) => setParams({ sel: node.id, tab: t }, { replace: true })} onSelect={select} /> : <Text c="dimmed">Choose a tenant in the tree.</Text>}
        </div>
      </Group>
    </Stack>
  );
}

function TenantPanel({ node, tab, onTab, onSelect }: { node: TenantNode; tab: string; onTab: (t: string) => void; onSelect: (id: string) => void }) {
  const perms = usePerms(node.id);
  const qc = useQueryClient();
  const navigate = useNavigate();
  const currentTenant = useTenantId();
  const [dialog, setDialog] = useState<'create' | 'rename' | 'delete' | null>(null);
  const [name, setName] = useState('');
  const done = () => { void qc.invalidateQueries({ queryKey: ['tenants'] }); void qc.invalidateQueries({ queryKey: ['tenant'] }); setDialog(null); };
  const create = useMutation({ mutationFn: () => api.post<TenantNode>(`/tenants/${node.id}/children`, { name }), onSuccess: (t) => { done(); onSelect(t.id); } });
  const rename = useMutation({ mutationFn: () => api.patch(`/tenants/${node.id}`, { name }), onSuccess: done });
  const remove = useMutation({
    mutationFn: () => api.del(`/tenants/${node.id}`),
    onSuccess: () => { done(); if (currentTenant === node.id) navigate(`/t/${node.parentId}/tenants`); else onSelect(node.parentId!); },
  });
  const builtin = node.kind !== 'customer';
  const open = (d: 'create' | 'rename' | 'delete') => { setName(d === 'rename' ? node.name : ''); create.reset(); rename.reset(); remove.reset(); setDialog(d); };
  return (
    <Stack>
      <Group justify="space-between">
        <div>
          <Title order={3}>{node.name}</Title>
          <Text size="sm" c="dimmed">{node.kind === 'root' ? 'Root tenant' : node.kind === 'shared' ? 'Shared (takes no children or integrations)' : 'Customer tenant'} · created {when(node.createdAt)}</Text>
        </div>
        <Group gap="xs">
          <GuardedButton size="xs" reason={perms.why('tenants.write') ?? (node.kind === 'shared' ? 'Shared takes no children' : undefined)} onClick={() => open('create')}>Create child</GuardedButton>
          <GuardedButton size="xs" variant="default" reason={perms.why('tenants.write') ?? (builtin ? 'Built-in tenants keep their names' : undefined)} onClick={() => open('rename')}>Rename</GuardedButton>
          <GuardedButton size="xs" color="red" variant="light" reason={perms.why('tenants.delete') ?? (builtin ? 'Built-in tenants cannot be deleted' : undefined)} onClick={() => open('delete')}>Delete</GuardedButton>
        </Group>
      </Group>
      <Tabs value={tab} onChange={(t) => t && onTab(t)} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="properties">Properties</Tabs.Tab>
          <Tabs.Tab value="settings" disabled={node.kind === 'shared'}>Settings</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="properties" pt="md">
          <Stack gap={4}>
            <Text size="sm">ID: <Text span ff="monospace" size="sm">{node.id}</Text></Text>
            <Text size="sm">Children: {node.children.length ? node.children.map((c) => c.name).join(', ') : 'none'}</Text>
            <Text size="sm">Your roles here: {perms.roles.join(', ') || 'none'}</Text>
            <Text size="sm" c="dimmed" mt="xs">Creating a child copies this tenant’s integration settings to it (secrets included); afterwards both are independent.</Text>
          </Stack>
        </Tabs.Panel>
        <Tabs.Panel value="settings" pt="md">
          <IntegrationSettings tenantId={node.id} isRoot={node.kind === 'root'} />
        </Tabs.Panel>
      </Tabs>

      <Modal opened={dialog === 'create' || dialog === 'rename'} onClose={() => setDialog(null)} title={dialog === 'create' ? `New child of ${node.name}` : `Rename ${node.name}`}>
        <Stack component="form" onSubmit={(e) => { e.preventDefault(); (dialog === 'create' ? create : rename).mutate(); }}>
          <TextInput label="Name" required data-autofocus value={name} onChange={(e) => setName(e.currentTarget.value)} error={(create.error ?? rename.error)?.message} />
          {dialog === 'create' && <Text size="sm" c="dimmed">Every integration of {node.name} is copied to the new tenant.</Text>}
          <Group justify="end"><Button variant="default" onClick={() => setDialog(null)}>Cancel</Button><Button type="submit" loading={create.isPending || rename.isPending}>{dialog === 'create' ? 'Create' : 'Rename'}</Button></Group>
        </Stack>
      </Modal>
      <Modal opened={dialog === 'delete'} onClose={() => setDialog(null)} title={`Delete ${node.name}?`}>
        <Stack>
          <Alert color="red" title="This cannot be undone">
            {node.name}{node.children.length ? ` and its ${flattenTree(node.children).length} descendant tenant(s)` : ''} disappear at once and their integrations stop.
            Their integrations, secrets, alerts and history are purged within 24 hours, and nothing can be restored.
          </Alert>
          <TextInput label={`Type “${node.name}” to confirm`} data-autofocus value={name} onChange={(e) => setName(e.currentTarget.value)} />
          <ErrorText error={remove.error} />
          <Group justify="end"><Button variant="default" onClick={() => setDialog(null)}>Cancel</Button><Button color="red" disabled={name !== node.name} loading={remove.isPending} onClick={() => remove.mutate()}>Delete for good</Button></Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
