import { Code, Group, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, qs, type AuditEntry, type Page } from '../api.ts';
import { when } from '../format.ts';
import { usePerms, useTenantId } from '../session.ts';
import { Pager, useCursor } from '../components/Pager.tsx';
import { Empty, Failed, Loading } from '../components/States.tsx';

export function AuditPage() {
  const tenantId = useTenantId();
  const perms = usePerms(tenantId);
  const [action, setAction] = useState('');
  const filters = { action: action.trim() };
  const pager = useCursor(JSON.stringify([tenantId, filters]));
  const list = useQuery({ queryKey: ['audit', tenantId, filters, pager.cursor], queryFn: () => api.get<Page<AuditEntry>>(`/tenants/${tenantId}/audit${qs({ ...filters, limit: 50, cursor: pager.cursor })}`), placeholderData: (p) => p, enabled: perms.can('audit.read') });
  if (!perms.loading && !perms.can('audit.read')) return <Text c="dimmed">{perms.why('audit.read')}</Text>;
  return (
    <Stack>
      <Title order={2}>Audit log</Title>
      <Text size="sm" c="dimmed">Every change to tenants, users, roles, integrations, secrets, alerts and responses on this tenant and its descendants, newest first. Entries are hash-chained: the command “xdrhub audit verify” detects tampering.</Text>
      <Group><TextInput label="Action" placeholder="e.g. integration.update" value={action} onChange={(e) => setAction(e.currentTarget.value)} w={260} /></Group>
      {list.isLoading ? <Loading what="the audit log" /> : list.error ? <Failed what="the audit log" error={list.error} retry={() => list.refetch()} /> : !list.data?.items.length ? (
        <Empty title="No entries" hint={action ? 'No entry has this exact action name: clear the filter.' : 'Nothing has happened on this tenant yet.'} />
      ) : (
        <>
          <Table striped verticalSpacing={4} aria-label="Audit log">
            <Table.Thead><Table.Tr><Table.Th>When</Table.Th><Table.Th>Actor</Table.Th><Table.Th>Action</Table.Th><Table.Th>Target</Table.Th><Table.Th>Outcome</Table.Th><Table.Th>Details</Table.Th></Table.Tr></Table.Thead>
            <Table.Tbody>
              {list.data.items.map((e) => (
                <Table.Tr key={e.id}>
                  <Table.Td><Text size="xs">{when(e.at)}</Text></Table.Td>
                  <Table.Td><Text size="sm">{e.actor.name}</Text></Table.Td>
                  <Table.Td><Text size="sm" ff="monospace">{e.action}</Text></Table.Td>
                  <Table.Td><Text size="xs" c="dimmed">{e.targetKind ?? ''} {e.targetId?.slice(0, 8) ?? ''}</Text></Table.Td>
                  <Table.Td><Text size="sm" c={e.outcome === 'success' ? undefined : 'red'}>{e.outcome}</Text></Table.Td>
                  <Table.Td maw={360}><Code style={{ fontSize: 11, whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>{JSON.stringify(e.details)}</Code></Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Pager page={pager.page} nextCursor={list.data.nextCursor} onNext={pager.next} onPrev={pager.prev} count={list.data.items.length} />
        </>
      )}
    </Stack>
  );
}
