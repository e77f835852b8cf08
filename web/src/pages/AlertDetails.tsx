import { Anchor, Badge, Button, Checkbox, Group, Modal, Paper, Select, Stack, Table, Tabs, Text, Textarea, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, type AlertDetails, type Asset, type Enrichment, type Observable, type Page, type ResponseAction } from '../api.ts';
import { ago, when, words, ZONE_COLOR } from '../format.ts';
import { useMe, usePerms, useTenantId } from '../session.ts';
import { SeverityBadge, StatusBadge } from '../components/Badges.tsx';
import { GuardedButton } from '../components/Guarded.tsx';
import { HistoryTable } from '../components/HistoryTable.tsx';
import { LaunchDialog, type LaunchTarget } from '../components/LaunchDialog.tsx';
import { Empty, ErrorText, Failed, Loading } from '../components/States.tsx';
import { KasapPanel } from '../components/KasapPanel.tsx';
import { useKasap } from '../kasap.ts';
import { LinkIncidentDialog } from './Incidents.tsx';

export function AlertPage() {
  const tenantId = useTenantId();
  const { alertId = '' } = useParams();
  const alert = useQuery({ queryKey: ['alert', tenantId, alertId], queryFn: () => api.get<AlertDetails>(`/tenants/${tenantId}/alerts/${alertId}`) });
  if (alert.isLoading) return <Loading what="the alert" />;
  if (alert.error) return <Failed what="the alert" error={alert.error} retry={() => alert.refetch()} />;
  const a = alert.data!;
  return (
    <Stack>
      <Anchor component={Link} to={`/t/${tenantId}/alerts`} size="sm">← Alerts</Anchor>
      <Group justify="space-between" align="start">
        <div>
          <Group gap="xs">
            <Text ff="monospace" c="dimmed">{a.shortId}</Text>
            <SeverityBadge value={a.severity} />
            <StatusBadge value={a.status} />
            {a.resolution && <Badge variant="outline" size="sm">{words(a.resolution)}</Badge>}
          </Group>
          <Title order={2}>{a.title}</Title>
          <Text size="sm" c="dimmed">Source {a.source} · created {when(a.createdAt)}{a.rules.length ? ` · rules: ${a.rules.join(', ')}` : ''}</Text>
          {a.description && <Text size="sm" mt={4} maw={900}>{a.description}</Text>}
        </div>
        <Triage alert={a} />
      </Group>
      <Tabs defaultValue="observables" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="observables">Observables ({a.observables.length})</Tabs.Tab>
          <Tabs.Tab value="assets">Assets ({a.assets.length})</Tabs.Tab>
          <Tabs.Tab value="response">Response history</Tabs.Tab>
          <Tabs.Tab value="comments">Comments ({a.comments.length})</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="observables" pt="md"><ObservablesTab alert={a} /></Tabs.Panel>
        <Tabs.Panel value="assets" pt="md"><AssetsTab alert={a} /></Tabs.Panel>
        <Tabs.Panel value="response" pt="md"><AlertHistory alert={a} /></Tabs.Panel>
        <Tabs.Panel value="comments" pt="md"><CommentsTab alert={a} /></Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

function useAlertPatch(a: AlertDetails) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: Record<string, unknown>) => api.patch(`/tenants/${a.tenantId}/alerts/${a.id}`, body),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['alert', a.tenantId, a.id] });
      void qc.invalidateQueries({ queryKey: ['alerts'] });
    },
  });
}

function Triage({ alert: a }: { alert: AlertDetails }) {
  const tenantId = useTenantId();
  const perms = usePerms(tenantId);
  const me = useMe();
  const patch = useAlertPatch(a);
  const [closing, setClosing] = useState(false);
  const [linking, setLinking] = useState(false);
  const [resolution, setResolution] = useState<string | null>('truePositive');
  const closed = a.status === 'closed';
  const reason = perms.why('alerts.write') ?? (closed ? 'A closed alert is read-only.' : undefined);
  const mine = a.assigneeId === me.data?.user.id;
  return (
    <Paper withBorder p="sm">
      <Stack gap="xs">
        <Text size="sm">Assignee: <b>{a.assigneeId ? (mine ? 'you' : 'another analyst') : 'nobody'}</b></Text>
        <Group gap="xs">
          <GuardedButton size="xs" variant="default" reason={reason ?? (mine ? 'Already assigned to you' : undefined)} onClick={() => patch.mutate({ assigneeId: me.data!.user.id })}>Assign to me</GuardedButton>
          <GuardedButton size="xs" variant="default" reason={reason ?? (a.status !== 'new' ? `The alert is ${words(a.status).toLowerCase()}` : undefined)} onClick={() => patch.mutate({ status: 'inProgress' })}>Start work</GuardedButton>
          <GuardedButton size="xs" color="gray" reason={reason} onClick={() => setClosing(true)}>Close…</GuardedButton>
        </Group>
        {a.incidentId ? (
          <Anchor size="sm" component={Link} to={`/t/${a.tenantId}/incidents/${a.incidentId}`}>Part of an incident →</Anchor>
        ) : (
          <Group><GuardedButton size="xs" variant="light" reason={reason} onClick={() => setLinking(true)}>Link to incident…</GuardedButton></Group>
        )}
        <ErrorText error={patch.error} />
      </Stack>
      <LinkIncidentDialog tenantId={a.tenantId} alert={a} opened={linking} onClose={() => setLinking(false)} />
      <Modal opened={closing} onClose={() => setClosing(false)} title={`Close ${a.shortId}`}>
        <Stack component="form" onSubmit={(e) => { e.preventDefault(); patch.mutate({ status: 'closed', resolution }, { onSuccess: () => setClosing(false) }); }}>
          <Select label="Resolution" required data-autofocus allowDeselect={false} value={resolution} onChange={setResolution}
            data={[{ value: 'truePositive', label: 'True positive' }, { value: 'falsePositive', label: 'False positive' }, { value: 'lowPriority', label: 'Low priority' }, { value: 'merged', label: 'Merged' }]} />
          <Text size="sm" c="dimmed">A closed alert is read-only.</Text>
          <ErrorText error={patch.error} />
          <Group justify="end"><Button variant="default" onClick={() => setClosing(false)}>Cancel</Button><Button type="submit" loading={patch.isPending}>Close alert</Button></Group>
        </Stack>
      </Modal>
    </Paper>
  );
}

function EnrichmentCell({ e, at }: { e: Enrichment | null; at: string | null }) {
  if (!e) return <Text size="xs" c="dimmed">not enriched</Text>;
  return (
    <Stack gap={2}>
      <Group gap={4}>
        {e.zone && <Badge color={ZONE_COLOR[String(e.zone).toLowerCase()] ?? 'gray'} size="sm" variant="filled">{e.zone}</Badge>}
        {e.verdict && <Text size="xs" fw={600}>{String(e.verdict)}</Text>}
      </Group>
      {Array.isArray(e.categories) && e.categories.length > 0 && <Text size="xs" c="dimmed" lineClamp={2}>{e.categories.join(', ')}</Text>}
      <Group gap={6}>
        <Text size="xs" c="dimmed">{e.source ? `${e.source} · ` : ''}{ago(at)}</Text>
        {e.portalUrl && <Anchor size="xs" href={String(e.portalUrl)} target="_blank" rel="noreferrer">portal</Anchor>}
      </Group>
    </Stack>
  );
}

function ObservablesTab({ alert: a }: { alert: AlertDetails }) {
  const tenantId = useTenantId();
  const perms = usePerms(tenantId);
  const qc = useQueryClient();
  const [selected, setSelected] = useState<string[]>([]);
  const [launching, setLaunching] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  // "Enrich now" fills the Enrichment column (spends quota unless cached); "Refresh status" asks
  // TIP Premium for the Status update column only, which spends none.
  const lookup = useMutation({
    mutationFn: (path: 'enrich' | 'refresh-status') => api.post<{ items: { status: string; error?: { message: string } }[] }>(`/tenants/${tenantId}/alerts/${a.id}/${path}`, selected.length ? { observableIds: selected } : {}),
    onSuccess: (r, path) => {
      const done = path === 'enrich' ? 'enriched' : 'refreshed';
      const failed = r.items.filter((i) => i.status !== 'ok');
      setNotice(failed.length ? `${r.items.length - failed.length} ${done}; ${failed.length} not: ${failed[0].error?.message ?? failed[0].status}` : `${r.items.length} observable(s) ${done}.`);
      void qc.invalidateQueries({ queryKey: ['alert', tenantId, a.id] });
    },
  });
  const run = (path: 'enrich' | 'refresh-status') => { setNotice(null); lookup.mutate(path); };
  const toggle = (id: string) => setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id]));
  const chosen = a.observables.filter((o) => selected.includes(o.id));
  if (!a.observables.length) return <Empty title="No observables" hint="This alert came without IPs, domains, hashes or other observables." />;
  return (
    <Stack>
      <Group>
        <GuardedButton size="sm" reason={perms.why('response.launch')} loading={lookup.isPending && lookup.variables === 'enrich'} disabled={lookup.isPending} onClick={() => run('enrich')}>
          {selected.length ? `Enrich ${selected.length} selected now` : 'Enrich now'}
        </GuardedButton>
        <GuardedButton size="sm" variant="default" reason={perms.why('response.launch')} loading={lookup.isPending && lookup.variables === 'refresh-status'} disabled={lookup.isPending} onClick={() => run('refresh-status')}>
          Refresh status (TIP Premium)
        </GuardedButton>
        <GuardedButton size="sm" variant="light" reason={perms.why('response.launch') ?? (selected.length ? undefined : 'Select observables first')} onClick={() => setLaunching(true)}>
          Respond to {selected.length || ''} selected…
        </GuardedButton>
        {notice && <Text size="sm" role="status">{notice}</Text>}
      </Group>
      <ErrorText error={lookup.error} />
      <Table verticalSpacing="xs" aria-label="Observables">
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={40}><Checkbox aria-label="Select all observables" checked={selected.length === a.observables.length} indeterminate={selected.length > 0 && selected.length < a.observables.length} onChange={() => setSelected(selected.length === a.observables.length ? [] : a.observables.map((o) => o.id))} /></Table.Th>
            <Table.Th>Type</Table.Th>
            <Table.Th>Value</Table.Th>
            <Table.Th>Enrichment</Table.Th>
            <Table.Th>Status update</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {a.observables.map((o: Observable) => (
            <Table.Tr key={o.id}>
              <Table.Td><Checkbox aria-label={`Select ${o.value}`} checked={selected.includes(o.id)} onChange={() => toggle(o.id)} /></Table.Td>
              <Table.Td><Badge variant="outline" size="sm">{o.type}</Badge></Table.Td>
              <Table.Td><Text size="sm" ff="monospace" style={{ wordBreak: 'break-all' }}>{o.value}</Text></Table.Td>
              <Table.Td><EnrichmentCell e={o.enrichment} at={o.enrichmentAt} /></Table.Td>
              <Table.Td>{o.statusUpdate ? <EnrichmentCell e={o.statusUpdate} at={o.statusUpdateAt} /> : <Text size="xs" c="dimmed">—</Text>}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <LaunchDialog tenantId={tenantId} opened={launching} onClose={() => setLaunching(false)} alertId={a.id} observableIds={selected}
        targets={chosen.map((o): LaunchTarget => ({ kind: `observable:${o.type}`, label: o.value }))} onLaunched={(n) => setNotice(`${n} action(s) launched: see the Response history tab.`)} />
    </Stack>
  );
}

function assetDetails(x: Asset): string {
  const at = x.attributes;
  if (x.kind === 'host') return [Array.isArray(at.ips) ? (at.ips as string[]).join(', ') : '', at.os ? String(at.os) : ''].filter(Boolean).join(' · ');
  return [at.upn, at.email, at.sid].filter(Boolean).join(' · ');
}

function AssetsTab({ alert: a }: { alert: AlertDetails }) {
  const tenantId = useTenantId();
  const perms = usePerms(tenantId);
  const [launch, setLaunch] = useState<Asset[] | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const kasap = useKasap(tenantId);
  /** Accounts whose KASAP training is open. */
  const [training, setTraining] = useState<string[]>([]);
  if (!a.assets.length) return <Empty title="No assets" hint="This alert names no hosts or accounts." />;
  const section = (kind: 'host' | 'account', title: string) => {
    const rows = a.assets.filter((x) => x.kind === kind);
    if (!rows.length) return null;
    return (
      <Stack gap="xs">
        <Title order={4}>{title}</Title>
        <Table verticalSpacing="xs" aria-label={title}>
          <Table.Thead><Table.Tr><Table.Th>Name</Table.Th><Table.Th>Role</Table.Th><Table.Th>Details</Table.Th><Table.Th aria-label="Actions" /></Table.Tr></Table.Thead>
          <Table.Tbody>
            {rows.map((x) => [
              <Table.Tr key={x.id}>
                <Table.Td><Text size="sm" ff="monospace">{x.name}</Text></Table.Td>
                <Table.Td>{x.role ? <Badge size="sm" color={x.role === 'attacker' ? 'red' : 'blue'} variant="light">{x.role}</Badge> : '—'}</Table.Td>
                <Table.Td><Text size="xs" c="dimmed">{assetDetails(x) || '—'}</Text></Table.Td>
                <Table.Td>
                  <Group gap="xs" wrap="nowrap">
                    <GuardedButton size="xs" variant="light" reason={perms.why('response.launch')} onClick={() => setLaunch([x])}>Respond…</GuardedButton>
                    {kind === 'account' && kasap.known && (
                      <Button size="xs" variant={training.includes(x.id) ? 'filled' : 'default'} aria-expanded={training.includes(x.id)} aria-controls={`kasap-${x.id}`}
                        onClick={() => setTraining((t) => (t.includes(x.id) ? t.filter((id) => id !== x.id) : [...t, x.id]))}>
                        Training (KASAP)
                      </Button>
                    )}
                  </Group>
                </Table.Td>
              </Table.Tr>,
              training.includes(x.id) && kasap.instance ? (
                <Table.Tr key={`${x.id}-kasap`} id={`kasap-${x.id}`}>
                  <Table.Td colSpan={4}><KasapPanel tenantId={tenantId} alertId={a.id} asset={x} instance={kasap.instance} reason={kasap.reason} /></Table.Td>
                </Table.Tr>
              ) : null,
            ])}
          </Table.Tbody>
        </Table>
      </Stack>
    );
  };
  return (
    <Stack>
      {notice && <Text size="sm" role="status">{notice}</Text>}
      {section('host', 'Hosts')}
      {section('account', 'Accounts')}
      <LaunchDialog tenantId={tenantId} opened={!!launch} onClose={() => setLaunch(null)} alertId={a.id} assetIds={launch?.map((x) => x.id)}
        targets={(launch ?? []).map((x) => ({ kind: x.kind, label: x.name }))} onLaunched={(n) => setNotice(`${n} action(s) launched: see the Response history tab.`)} />
    </Stack>
  );
}

function AlertHistory({ alert: a }: { alert: AlertDetails }) {
  const tenantId = useTenantId();
  const perms = usePerms(tenantId);
  const list = useQuery({
    queryKey: ['history', tenantId, 'alert', a.id],
    queryFn: () => api.get<Page<ResponseAction>>(`/tenants/${tenantId}/response/actions?alertId=${a.id}&limit=100`),
    enabled: perms.can('history.read'),
    refetchInterval: (q) => (q.state.data?.items.some((x) => ['queued', 'inProgress'].includes(x.status)) ? 1500 : false),
  });
  if (!perms.loading && !perms.can('history.read')) return <Text c="dimmed">{perms.why('history.read')}</Text>;
  if (list.isLoading) return <Loading what="response history" />;
  if (list.error) return <Failed what="response history" error={list.error} retry={() => list.refetch()} />;
  if (!list.data?.items.length) return <Empty title="No response actions yet" hint="Select observables or assets and choose Respond… to block, isolate or open a ticket." />;
  return <HistoryTable tenantId={tenantId} items={list.data.items} />;
}

function CommentsTab({ alert: a }: { alert: AlertDetails }) {
  const tenantId = useTenantId();
  const perms = usePerms(tenantId);
  const qc = useQueryClient();
  const [text, setText] = useState('');
  const add = useMutation({
    mutationFn: () => api.post(`/tenants/${tenantId}/alerts/${a.id}/comments`, { text }),
    onSuccess: () => { setText(''); void qc.invalidateQueries({ queryKey: ['alert', tenantId, a.id] }); },
  });
  return (
    <Stack maw={800}>
      {a.comments.length === 0 && <Text c="dimmed" size="sm">No comments yet.</Text>}
      {a.comments.map((c) => (
        <Paper key={c.id} withBorder p="sm">
          <Text size="xs" c="dimmed">{c.authorName} · {when(c.createdAt)}</Text>
          <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>{c.text}</Text>
        </Paper>
      ))}
      <form onSubmit={(e) => { e.preventDefault(); if (text.trim()) add.mutate(); }}>
        <Stack gap="xs">
          <Textarea label="Add a comment" autosize minRows={2} value={text} onChange={(e) => setText(e.currentTarget.value)} disabled={!perms.can('alerts.write')} description={perms.why('alerts.write')} />
          <ErrorText error={add.error} />
          <Group><Button type="submit" size="xs" disabled={!perms.can('alerts.write') || !text.trim()} loading={add.isPending}>Comment</Button></Group>
        </Stack>
      </form>
    </Stack>
  );
}
