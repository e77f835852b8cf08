import { Anchor, Badge, Button, Group, Modal, Paper, Select, Stack, Table, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, qs, type Alert, type Comment, type Page } from '../api.ts';
import { ago, when, words } from '../format.ts';
import { usePerms, useTenantId } from '../session.ts';
import { SeverityBadge, StatusBadge } from '../components/Badges.tsx';
import { GuardedButton } from '../components/Guarded.tsx';
import { Pager, useCursor } from '../components/Pager.tsx';
import { Empty, ErrorText, Failed, Loading } from '../components/States.tsx';

export interface Incident { id: string; shortId: string; tenantId: string; title: string; description: string | null; severity: string; priority: string; status: string; resolution: string | null; alertCount: number; createdAt: string; updatedAt: string }
interface IncidentDetails extends Incident { alerts: Alert[]; comments: Comment[] }

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
  const [text, setText] = useState('');
  const inc = useQuery({ queryKey: ['incident', tenantId, incidentId], queryFn: () => api.get<IncidentDetails>(`/tenants/${tenantId}/incidents/${incidentId}`) });
  const refresh = () => { void qc.invalidateQueries({ queryKey: ['incident', tenantId, incidentId] }); void qc.invalidateQueries({ queryKey: ['incidents'] }); void qc.invalidateQueries({ queryKey: ['alerts'] }); };
  const patch = useMutation({ mutationFn: (body: Record<string, unknown>) => api.patch(`/tenants/${tenantId}/incidents/${incidentId}`, body), onSuccess: refresh });
  const unlink = useMutation({ mutationFn: (alertId: string) => api.del(`/tenants/${tenantId}/incidents/${incidentId}/alerts/${alertId}`), onSuccess: refresh });
  const comment = useMutation({ mutationFn: () => api.post(`/tenants/${tenantId}/incidents/${incidentId}/comments`, { text }), onSuccess: () => { setText(''); refresh(); } });
  if (inc.isLoading) return <Loading what="the incident" />;
  if (inc.error) return <Failed what="the incident" error={inc.error} retry={() => inc.refetch()} />;
  const i = inc.data!;
  const reason = perms.why('alerts.write') ?? (i.status === 'closed' ? 'A closed incident is read-only.' : undefined);
  return (
    <Stack>
      <Anchor component={Link} to={`/t/${tenantId}/incidents`} size="sm">← Incidents</Anchor>
      <Group gap="xs"><Text ff="monospace" c="dimmed">{i.shortId}</Text><SeverityBadge value={i.severity} /><StatusBadge value={i.status} />{i.resolution && <Badge variant="outline" size="sm">{words(i.resolution)}</Badge>}</Group>
      <Title order={2}>{i.title}</Title>
      {i.description && <Text size="sm">{i.description}</Text>}
      <Group align="end">
        <Select label="Status" data={STATUSES.filter((s) => s.value !== 'closed')} value={i.status === 'closed' ? null : i.status} disabled={!!reason} onChange={(v) => v && patch.mutate({ status: v })} w={180} allowDeselect={false} />
        <GuardedButton variant="default" reason={reason} onClick={() => patch.mutate({ status: 'closed', resolution: 'truePositive' })}>Close as true positive</GuardedButton>
        <GuardedButton variant="default" reason={reason} onClick={() => patch.mutate({ status: 'closed', resolution: 'falsePositive' })}>Close as false positive</GuardedButton>
      </Group>
      <ErrorText error={patch.error ?? unlink.error} />
      <Title order={4}>Alerts ({i.alerts.length})</Title>
      <Table verticalSpacing="xs" aria-label="Linked alerts">
        <Table.Tbody>
          {i.alerts.map((a) => (
            <Table.Tr key={a.id}>
              <Table.Td><Text size="sm" ff="monospace">{a.shortId}</Text></Table.Td>
              <Table.Td><Anchor component={Link} to={`/t/${a.tenantId}/alerts/${a.id}`} size="sm">{a.title}</Anchor></Table.Td>
              <Table.Td><SeverityBadge value={a.severity} /></Table.Td>
              <Table.Td><GuardedButton size="xs" variant="subtle" reason={reason} onClick={() => unlink.mutate(a.id)}>Unlink</GuardedButton></Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Title order={4}>Comments</Title>
      {i.comments.map((c) => <Paper key={c.id} withBorder p="sm"><Text size="xs" c="dimmed">{c.authorName} · {when(c.createdAt)}</Text><Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>{c.text}</Text></Paper>)}
      <form onSubmit={(e) => { e.preventDefault(); if (text.trim()) comment.mutate(); }}>
        <Stack gap="xs" maw={800}>
          <Textarea label="Add a comment" autosize minRows={2} value={text} onChange={(e) => setText(e.currentTarget.value)} disabled={!perms.can('alerts.write')} />
          <ErrorText error={comment.error} />
          <Group><Button type="submit" size="xs" disabled={!perms.can('alerts.write') || !text.trim()} loading={comment.isPending}>Comment</Button></Group>
        </Stack>
      </form>
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
