import { Anchor, Badge, Button, Group, Modal, Select, Stack, Table, Tabs, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, qs, type Alert, type Asset, type Comment, type ItemRef, type Observable, type Page } from '../api.ts';
import { ago, when, words } from '../format.ts';
import { usePerms, useTenantId } from '../session.ts';
import { SeverityBadge, StatusBadge } from '../components/Badges.tsx';
import { GuardedButton } from '../components/Guarded.tsx';
import { AssetsTab, groupAssets } from '../components/AssetsTab.tsx';
import { CommentsTab, ItemHistory } from '../components/ItemTabs.tsx';
import { groupObservables, ObservablesTab } from '../components/ObservablesTab.tsx';
import { Pager, useCursor } from '../components/Pager.tsx';
import { Empty, ErrorText, Failed, Loading } from '../components/States.tsx';

export interface Incident { id: string; shortId: string; tenantId: string; title: string; description: string | null; severity: string; priority: string; status: string; resolution: string | null; alertCount: number; createdAt: string; updatedAt: string }
/** The incident's details: its alerts, and their observables and assets (one per alert, each with its alertId). */
interface IncidentDetails extends Incident { alerts: Alert[]; observables: Observable[]; assets: Asset[]; comments: Comment[] }

const STATUSES = [{ value: 'open', label: 'Open' }, { value: 'inProgress', label: 'In progress' }, { value: 'hold', label: 'On hold' }, { value: 'closed', label: 'Closed' }];
// The API's sort keys for incidents (src/alerts/paging.ts), as the Alerts list offers them.
const SORTS = [
  { value: '-createdAt', label: 'Newest first' },
  { value: 'createdAt', label: 'Oldest first' },
  { value: '-severity', label: 'Most severe first' },
  { value: '-updatedAt', label: 'Recently updated' },
];

export function IncidentsPage() {
  const tenantId = useTenantId();
  const [status, setStatus] = useState<string | null>(null);
  const [severity, setSeverity] = useState<string | null>(null);
  const [sort, setSort] = useState('-createdAt');
  const filters = { status: status ?? '', severity: severity ?? '', sort };
  const pager = useCursor(JSON.stringify([tenantId, filters]));
  const list = useQuery({ queryKey: ['incidents', tenantId, filters, pager.cursor], queryFn: () => api.get<Page<Incident>>(`/tenants/${tenantId}/incidents${qs({ ...filters, subtree: true, limit: 25, cursor: pager.cursor })}`), placeholderData: (p) => p });
  return (
    <Stack>
      <Title order={2}>Incidents</Title>
      <Group align="end">
        <Select label="Status" placeholder="Any" clearable data={STATUSES} value={status} onChange={setStatus} w={180} />
        <Select label="Severity" placeholder="Any" clearable data={['critical', 'high', 'medium', 'low']} value={severity} onChange={setSeverity} w={160} />
        <Select label="Sort" data={SORTS} value={sort} onChange={(v) => setSort(v ?? '-createdAt')} allowDeselect={false} w={180} />
      </Group>
      {list.isLoading ? <Loading what="incidents" /> : list.error ? <Failed what="incidents" error={list.error} retry={() => list.refetch()} /> : !list.data?.items.length ? (
        <Empty title="No incidents" hint="Open an alert and choose “Link to incident…” to start one from related alerts." />
      ) : (
        <>
          <Table striped verticalSpacing="xs" aria-label="Incidents">
            <Table.Thead><Table.Tr><Table.Th>ID</Table.Th><Table.Th>Title</Table.Th><Table.Th>Severity</Table.Th><Table.Th>Status</Table.Th><Table.Th>Alerts</Table.Th><Table.Th>Created</Table.Th></Table.Tr></Table.Thead>
            <Table.Tbody>
              {list.data.items.map((i) => (
                <Table.Tr key={i.id}>
                  <Table.Td><Text size="sm" ff="monospace">{i.shortId}</Text></Table.Td>
                  <Table.Td><Anchor component={Link} to={`/t/${i.tenantId}/incidents/${i.id}`} size="sm">{i.title}</Anchor></Table.Td>
                  <Table.Td><SeverityBadge value={i.severity} /></Table.Td>
                  <Table.Td><StatusBadge value={i.status} /></Table.Td>
                  <Table.Td><Text size="sm">{i.alertCount}</Text></Table.Td>
                  <Table.Td><Text size="sm" title={when(i.createdAt)}>{ago(i.createdAt)}</Text></Table.Td>
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

export function IncidentPage() {
  const tenantId = useTenantId();
  const { incidentId = '' } = useParams();
  const perms = usePerms(tenantId);
  const qc = useQueryClient();
  const inc = useQuery({ queryKey: ['incident', tenantId, incidentId], queryFn: () => api.get<IncidentDetails>(`/tenants/${tenantId}/incidents/${incidentId}`) });
  const refresh = () => { void qc.invalidateQueries({ queryKey: ['incident', tenantId, incidentId] }); void qc.invalidateQueries({ queryKey: ['incidents'] }); void qc.invalidateQueries({ queryKey: ['alerts'] }); };
  const patch = useMutation({ mutationFn: (body: Record<string, unknown>) => api.patch(`/tenants/${tenantId}/incidents/${incidentId}`, body), onSuccess: refresh });
  const unlink = useMutation({ mutationFn: (alertId: string) => api.del(`/tenants/${tenantId}/incidents/${incidentId}/alerts/${alertId}`), onSuccess: refresh });
  if (inc.isLoading) return <Loading what="the incident" />;
  if (inc.error) return <Failed what="the incident" error={inc.error} retry={() => inc.refetch()} />;
  const i = inc.data!;
  const item: ItemRef = { kind: 'incident', id: i.id, tenantId };
  const observables = i.observables ?? [];
  const assets = i.assets ?? [];
  const reason = perms.why('alerts.write') ?? (i.status === 'closed' ? 'A closed incident is read-only.' : undefined);
  return (
    <Stack>
      <Anchor component={Link} to={`/t/${tenantId}/incidents`} size="sm">← Incidents</Anchor>
      <Group gap="xs"><Text ff="monospace" c="dimmed">{i.shortId}</Text><SeverityBadge value={i.severity} /><StatusBadge value={i.status} />{i.resolution && <Badge variant="outline" size="sm">{words(i.resolution)}</Badge>}</Group>
      <Title order={2}>{i.title}</Title>
      <Text size="sm" c="dimmed">Created {when(i.createdAt)} · updated {ago(i.updatedAt)}</Text>
      {i.description && <Text size="sm" maw={900}>{i.description}</Text>}
      <Group align="end">
        <Select label="Status" data={STATUSES.filter((s) => s.value !== 'closed')} value={i.status === 'closed' ? null : i.status} disabled={!!reason} onChange={(v) => v && patch.mutate({ status: v })} w={180} allowDeselect={false} />
        <GuardedButton variant="default" reason={reason} onClick={() => patch.mutate({ status: 'closed', resolution: 'truePositive' })}>Close as true positive</GuardedButton>
        <GuardedButton variant="default" reason={reason} onClick={() => patch.mutate({ status: 'closed', resolution: 'falsePositive' })}>Close as false positive</GuardedButton>
      </Group>
      <ErrorText error={patch.error ?? unlink.error} />
      <Tabs defaultValue="alerts" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="alerts">Alerts ({i.alerts.length})</Tabs.Tab>
          <Tabs.Tab value="observables">Observables ({groupObservables(observables).length})</Tabs.Tab>
          <Tabs.Tab value="assets">Assets ({groupAssets(assets).length})</Tabs.Tab>
          <Tabs.Tab value="response">Response history</Tabs.Tab>
          <Tabs.Tab value="comments">Comments ({i.comments.length})</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="alerts" pt="md">
          {i.alerts.length ? (
            <Table verticalSpacing="xs" aria-label="Linked alerts">
              <Table.Thead><Table.Tr><Table.Th>ID</Table.Th><Table.Th>Title</Table.Th><Table.Th>Severity</Table.Th><Table.Th>Created</Table.Th><Table.Th aria-label="Controls" /></Table.Tr></Table.Thead>
              <Table.Tbody>
                {i.alerts.map((a) => (
                  <Table.Tr key={a.id}>
                    <Table.Td><Text size="sm" ff="monospace">{a.shortId}</Text></Table.Td>
                    <Table.Td><Anchor component={Link} to={`/t/${a.tenantId}/alerts/${a.id}`} size="sm">{a.title}</Anchor></Table.Td>
                    <Table.Td><SeverityBadge value={a.severity} /></Table.Td>
                    <Table.Td><Text size="sm" title={when(a.createdAt)}>{ago(a.createdAt)}</Text></Table.Td>
                    <Table.Td><GuardedButton size="xs" variant="subtle" reason={reason} loading={unlink.isPending && unlink.variables === a.id} onClick={() => unlink.mutate(a.id)} aria-label={`Unlink ${a.shortId}`}>Unlink</GuardedButton></Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          ) : (
            <Empty title="No alerts linked" hint="Open a related alert and choose “Link to incident…”, then pick this incident: its observables and assets show in the tabs here." />
          )}
        </Tabs.Panel>
        <Tabs.Panel value="observables" pt="md"><ObservablesTab item={item} observables={observables} alerts={i.alerts} /></Tabs.Panel>
        <Tabs.Panel value="assets" pt="md"><AssetsTab item={item} assets={assets} alerts={i.alerts} /></Tabs.Panel>
        <Tabs.Panel value="response" pt="md"><ItemHistory item={item} /></Tabs.Panel>
        <Tabs.Panel value="comments" pt="md"><CommentsTab item={item} comments={i.comments} /></Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

/** From an alert: link it into an existing open incident of its tenant, or start a new one with it. */
export function LinkIncidentDialog({ tenantId, alert, opened, onClose }: { tenantId: string; alert: Alert; opened: boolean; onClose: () => void }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [target, setTarget] = useState<string | null>('new');
  const [title, setTitle] = useState(alert.title);
  const open = useQuery({ queryKey: ['incidents', tenantId, 'open'], queryFn: () => api.get<Page<Incident>>(`/tenants/${tenantId}/incidents?status=open,inProgress,hold&limit=100`), enabled: opened });
  const link = useMutation({
    mutationFn: async () => target === 'new'
      ? api.post<Incident>(`/tenants/${tenantId}/incidents`, { title, severity: alert.severity, alertIds: [alert.id] })
      : api.post<Incident>(`/tenants/${tenantId}/incidents/${target}/alerts`, { alertIds: [alert.id] }),
    onSuccess: (inc) => { void qc.invalidateQueries(); onClose(); navigate(`/t/${tenantId}/incidents/${inc.id}`); },
  });
  return (
    <Modal opened={opened} onClose={onClose} title={`Link ${alert.shortId} to an incident`}>
      <Stack component="form" onSubmit={(e) => { e.preventDefault(); link.mutate(); }}>
        <Select label="Incident" data-autofocus allowDeselect={false} value={target} onChange={setTarget}
          data={[{ value: 'new', label: 'A new incident' }, ...(open.data?.items ?? []).map((i) => ({ value: i.id, label: `${i.shortId} ${i.title}` }))]} />
        {target === 'new' && <TextInput label="Title" required value={title} onChange={(e) => setTitle(e.currentTarget.value)} />}
        <ErrorText error={link.error ?? open.error} />
        <Group justify="end"><Button variant="default" onClick={onClose}>Cancel</Button><Button type="submit" loading={link.isPending}>Link</Button></Group>
      </Stack>
    </Modal>
  );
}
