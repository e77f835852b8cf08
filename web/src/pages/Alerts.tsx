import { Anchor, Group, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, qs, type Alert, type Page } from '../api.ts';
import { ago, when } from '../format.ts';
import { useTenantId } from '../session.ts';
import { Empty, Failed, Loading } from '../components/States.tsx';
import { Pager, useCursor } from '../components/Pager.tsx';
import { SeverityBadge, StatusBadge } from '../components/Badges.tsx';

const STATUSES = [{ value: 'new', label: 'New' }, { value: 'inProgress', label: 'In progress' }, { value: 'inIncident', label: 'In incident' }, { value: 'closed', label: 'Closed' }];
const SEVERITIES = ['critical', 'high', 'medium', 'low'];
const SORTS = [
  { value: '-createdAt', label: 'Newest first' },
  { value: 'createdAt', label: 'Oldest first' },
  { value: '-severity', label: 'Most severe first' },
  { value: '-updatedAt', label: 'Recently updated' },
];

export function AlertsPage() {
  const tenantId = useTenantId();
  const [params, setParams] = useSearchParams();
  const filters = { status: params.get('status') ?? '', severity: params.get('severity') ?? '', observable: params.get('observable') ?? '', q: params.get('q') ?? '', sort: params.get('sort') ?? '-createdAt' };
  const [observable, setObservable] = useState(filters.observable);
  const [q, setQ] = useState(filters.q);
  const set = (k: string, v: string | null) => {
    const next = new URLSearchParams(params);
    if (v) next.set(k, v);
    else next.delete(k);
    setParams(next, { replace: true });
  };
  const key = JSON.stringify([tenantId, filters]);
  const pager = useCursor(key);
  const list = useQuery({
    queryKey: ['alerts', tenantId, filters, pager.cursor],
    queryFn: () => api.get<Page<Alert>>(`/tenants/${tenantId}/alerts${qs({ ...filters, subtree: true, limit: 25, cursor: pager.cursor })}`),
    placeholderData: (prev) => prev,
  });

  return (
    <Stack>
      <Title order={2}>Alerts</Title>
      <Group align="end" gap="sm" component="form" role="search" onSubmit={(e) => { e.preventDefault(); const n = new URLSearchParams(params); observable ? n.set('observable', observable) : n.delete('observable'); q ? n.set('q', q) : n.delete('q'); setParams(n, { replace: true }); }}>
        <Select label="Status" placeholder="Any" data={STATUSES} value={filters.status || null} onChange={(v) => set('status', v)} clearable w={150} />
        <Select label="Severity" placeholder="Any" data={SEVERITIES} value={filters.severity || null} onChange={(v) => set('severity', v)} clearable w={140} />
        <TextInput label="Observable" placeholder="IP, domain, hash… (Enter)" value={observable} onChange={(e) => setObservable(e.currentTarget.value)} w={230} />
        <TextInput label="Title contains" placeholder="Enter to search" value={q} onChange={(e) => setQ(e.currentTarget.value)} w={200} />
        <Select label="Sort" data={SORTS} value={filters.sort} onChange={(v) => set('sort', v)} allowDeselect={false} w={180} />
        <button type="submit" hidden />
      </Group>
      {list.isLoading ? (
        <Loading what="alerts" />
      ) : list.error ? (
        <Failed what="alerts" error={list.error} retry={() => list.refetch()} />
      ) : !list.data?.items.length ? (
        <Empty title="No alerts match" hint={params.toString() ? 'Clear a filter above to see more alerts.' : 'Alerts arrive from your XDR through the API (POST /api/v1/tenants/:id/alerts) or from event collectors.'} />
      ) : (
        <>
          <Table striped highlightOnHover verticalSpacing="xs" aria-label="Alerts">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>ID</Table.Th>
                <Table.Th>Title</Table.Th>
                <Table.Th>Severity</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Source</Table.Th>
                <Table.Th>Created</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.data.items.map((a) => (
                <Table.Tr key={a.id}>
                  <Table.Td><Text size="sm" ff="monospace">{a.shortId}</Text></Table.Td>
                  <Table.Td><Anchor component={Link} to={`/t/${a.tenantId}/alerts/${a.id}`} size="sm">{a.title}</Anchor></Table.Td>
                  <Table.Td><SeverityBadge value={a.severity} /></Table.Td>
                  <Table.Td><StatusBadge value={a.status} /></Table.Td>
                  <Table.Td><Text size="sm">{a.source}</Text></Table.Td>
                  <Table.Td><Text size="sm" title={when(a.createdAt)}>{ago(a.createdAt)}</Text></Table.Td>
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
