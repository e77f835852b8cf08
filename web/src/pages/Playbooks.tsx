import { Anchor, Badge, Button, Group, Modal, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, type Playbook, type Template } from '../api.ts';
import { ago } from '../format.ts';
import { usePerms, useTenantId } from '../session.ts';
import { GuardedButton } from '../components/Guarded.tsx';
import { Empty, ErrorText, Failed, Loading } from '../components/States.tsx';

export function PlaybooksPage() {
  const tenantId = useTenantId();
  const perms = usePerms(tenantId);
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [templatesOpen, setTemplatesOpen] = useState(false);
  const list = useQuery({ queryKey: ['playbooks', tenantId], queryFn: () => api.get<{ items: Playbook[] }>(`/tenants/${tenantId}/playbooks`).then((r) => r.items) });
  const toggle = useMutation({ mutationFn: (p: Playbook) => api.post(`/tenants/${tenantId}/playbooks/${p.id}/${p.enabled ? 'disable' : 'enable'}`), onSuccess: () => qc.invalidateQueries({ queryKey: ['playbooks', tenantId] }) });
  const writeReason = perms.why('playbooks.write');
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Playbooks</Title>
        <Group gap="xs">
          <GuardedButton variant="default" reason={writeReason} onClick={() => setTemplatesOpen(true)}>From a template…</GuardedButton>
          <GuardedButton reason={writeReason} onClick={() => navigate(`/t/${tenantId}/playbooks/new`)}>New playbook</GuardedButton>
        </Group>
      </Group>
      <ErrorText error={toggle.error} />
      {list.isLoading ? <Loading what="playbooks" /> : list.error ? <Failed what="playbooks" error={list.error} retry={() => list.refetch()} /> : !list.data?.length ? (
        <Empty title="No playbooks yet" hint="Copy a template (“From a template…”) and adapt it: templates start in training mode, so every match waits for an approver." />
      ) : (
        <Table striped verticalSpacing="xs" aria-label="Playbooks">
          <Table.Thead><Table.Tr><Table.Th>Name</Table.Th><Table.Th>Scope</Table.Th><Table.Th>Mode</Table.Th><Table.Th>State</Table.Th><Table.Th>Changed</Table.Th><Table.Th aria-label="Controls" /></Table.Tr></Table.Thead>
          <Table.Tbody>
            {list.data.map((p) => (
              <Table.Tr key={p.id}>
                <Table.Td>
                  <Anchor component={Link} to={`/t/${tenantId}/playbooks/${p.id}`} size="sm">{p.name}</Anchor>
                  {p.inherited && <Badge ml="xs" size="xs" variant="outline" color="gray">inherited, read-only</Badge>}
                  {p.lastTriggerError ? <Text size="xs" c="red">Trigger error: {(p.lastTriggerError as { message: string }).message}</Text> : null}
                </Table.Td>
                <Table.Td><Text size="sm">{p.scope}</Text></Table.Td>
                <Table.Td><Badge size="sm" variant="light" color={p.mode === 'auto' ? 'red' : p.mode === 'training' ? 'yellow' : 'gray'}>{p.mode}</Badge></Table.Td>
                <Table.Td><Text size="sm">{p.enabled ? 'enabled' : 'disabled'}</Text></Table.Td>
                <Table.Td><Text size="sm">{ago(p.updatedAt as string)}</Text></Table.Td>
                <Table.Td>
                  <Group gap={4}>
                    {!p.inherited && <GuardedButton size="xs" variant="default" reason={writeReason} onClick={() => toggle.mutate(p)}>{p.enabled ? 'Disable' : 'Enable'}</GuardedButton>}
                    <Anchor size="xs" component={Link} to={`/t/${tenantId}/runs?playbookId=${p.id}`}>runs</Anchor>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <TemplatesDialog tenantId={tenantId} opened={templatesOpen} onClose={() => setTemplatesOpen(false)} />
    </Stack>
  );
}

function TemplatesDialog({ tenantId, opened, onClose }: { tenantId: string; opened: boolean; onClose: () => void }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const templates = useQuery({ queryKey: ['playbook-templates'], queryFn: () => api.get<{ items: Template[] }>('/playbook-templates').then((r) => r.items), enabled: opened });
  const copy = useMutation({
    mutationFn: (id: string) => api.post<Playbook>(`/tenants/${tenantId}/playbooks/from-template/${id}`, {}),
    onSuccess: (p) => { void qc.invalidateQueries({ queryKey: ['playbooks', tenantId] }); onClose(); navigate(`/t/${tenantId}/playbooks/${p.id}`); },
  });
  return (
    <Modal opened={opened} onClose={onClose} title="Playbook templates" size="lg">
      {templates.isLoading ? <Loading what="templates" /> : templates.error ? <ErrorText error={templates.error} /> : (
        <Stack>
          {!templates.data?.length && <Text c="dimmed">No templates ship with this version.</Text>}
          {templates.data?.map((t) => (
            <Paper key={t.id} withBorder p="sm">
              <Group justify="space-between" wrap="nowrap" align="start">
                <div>
                  <Text fw={600} size="sm">{t.title}</Text>
                  <Text size="xs" c="dimmed">{t.description}</Text>
                </div>
                <Button size="xs" loading={copy.isPending && copy.variables === t.id} onClick={() => copy.mutate(t.id)}>Copy</Button>
              </Group>
            </Paper>
          ))}
          <ErrorText error={copy.error} />
        </Stack>
      )}
    </Modal>
  );
}
