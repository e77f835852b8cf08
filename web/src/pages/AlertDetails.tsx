import { Anchor, Badge, Button, Group, Modal, Paper, Select, Stack, Tabs, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, type AlertDetails, type ItemRef } from '../api.ts';
import { when, words } from '../format.ts';
import { useMe, usePerms, useTenantId } from '../session.ts';
import { AssetsTab } from '../components/AssetsTab.tsx';
import { SeverityBadge, StatusBadge } from '../components/Badges.tsx';
import { GuardedButton } from '../components/Guarded.tsx';
import { CommentsTab, ItemHistory } from '../components/ItemTabs.tsx';
import { ObservablesTab } from '../components/ObservablesTab.tsx';
import { ErrorText, Failed, Loading } from '../components/States.tsx';
import { LinkIncidentDialog } from './Incidents.tsx';

export function AlertPage() {
  const tenantId = useTenantId();
  const { alertId = '' } = useParams();
  const alert = useQuery({ queryKey: ['alert', tenantId, alertId], queryFn: () => api.get<AlertDetails>(`/tenants/${tenantId}/alerts/${alertId}`) });
  if (alert.isLoading) return <Loading what="the alert" />;
  if (alert.error) return <Failed what="the alert" error={alert.error} retry={() => alert.refetch()} />;
  const a = alert.data!;
  const item: ItemRef = { kind: 'alert', id: a.id, tenantId };
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
        <Tabs.Panel value="observables" pt="md"><ObservablesTab item={item} observables={a.observables} /></Tabs.Panel>
        <Tabs.Panel value="assets" pt="md"><AssetsTab item={item} assets={a.assets} /></Tabs.Panel>
        <Tabs.Panel value="response" pt="md"><ItemHistory item={item} /></Tabs.Panel>
        <Tabs.Panel value="comments" pt="md"><CommentsTab item={item} comments={a.comments} /></Tabs.Panel>
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
