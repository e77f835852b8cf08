import { Anchor, Badge, Box, Code, Group, Paper, Select, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { api, qs, type Page, type Run } from '../api.ts';
import { ago, json, when } from '../format.ts';
import { usePerms, useTenantId } from '../session.ts';
import { StatusBadge } from '../components/Badges.tsx';
import { GuardedButton } from '../components/Guarded.tsx';
import { RunDecision, StepDecision } from '../components/Decisions.tsx';
import { Pager, useCursor } from '../components/Pager.tsx';
import { Empty, ErrorText, Failed, Loading } from '../components/States.tsx';

/** A step that needs approval (updateData, enrichment) carries its window and the decision. */
type StepApproval = { deadline: string | null; decision: 'approved' | 'rejected' | 'expired' | null; decidedBy: string | null; decidedAt: string | null };
const approvalOf = (s: object) => (s as { approval?: StepApproval | null }).approval ?? null;

const RUN_STATUSES = ['awaitingApproval', 'queued', 'running', 'succeeded', 'failed', 'rejected', 'timedOut', 'cancelled'];

export function RunsPage() {
  const tenantId = useTenantId();
  const [params] = useSearchParams();
  const [status, setStatus] = useState<string | null>(null);
  const filters = { status: status ?? '', playbookId: params.get('playbookId') ?? '' };
  const pager = useCursor(JSON.stringify([tenantId, filters]));
  const list = useQuery({ queryKey: ['runs', tenantId, filters, pager.cursor], queryFn: () => api.get<Page<Run>>(`/tenants/${tenantId}/playbook-runs${qs({ ...filters, subtree: true, limit: 25, cursor: pager.cursor })}`), placeholderData: (p) => p });
  return (
    <Stack>
      <Title order={2}>Playbook runs</Title>
      <Group align="end">
        <Select label="Status" placeholder="Any" clearable data={RUN_STATUSES} value={status} onChange={setStatus} w={200} />
        {filters.playbookId && <Anchor component={Link} to={`/t/${tenantId}/runs`} size="sm">Show runs of every playbook</Anchor>}
      </Group>
      {list.isLoading ? <Loading what="runs" /> : list.error ? <Failed what="runs" error={list.error} retry={() => list.refetch()} /> : !list.data?.items.length ? (
        <Empty title="No runs" hint="Runs appear when a playbook's trigger matches a new alert, or when someone launches a playbook by hand." />
      ) : (
        <>
          <Table striped verticalSpacing="xs" aria-label="Playbook runs">
            <Table.Thead><Table.Tr><Table.Th>Started</Table.Th><Table.Th>Playbook</Table.Th><Table.Th>Trigger</Table.Th><Table.Th>Status</Table.Th><Table.Th>Launched by</Table.Th></Table.Tr></Table.Thead>
            <Table.Tbody>
              {list.data.items.map((r) => (
                <Table.Tr key={r.id}>
                  <Table.Td><Anchor component={Link} to={`/t/${r.tenantId}/runs/${r.id}`} size="sm">{ago(r.createdAt)}</Anchor></Table.Td>
                  <Table.Td><Text size="sm">{r.playbookName} <Text span c="dimmed" size="xs">v{r.playbookVersion}</Text></Text></Table.Td>
                  <Table.Td><Badge size="sm" variant="outline">{r.trigger}</Badge></Table.Td>
                  <Table.Td><StatusBadge value={r.status} /></Table.Td>
                  <Table.Td><Text size="sm">{r.launcher?.name}</Text></Table.Td>
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

export function RunPage() {
  const tenantId = useTenantId();
  const { runId = '' } = useParams();
  const perms = usePerms(tenantId);
  const qc = useQueryClient();
  const run = useQuery({
    queryKey: ['run', tenantId, runId],
    queryFn: () => api.get<Run>(`/tenants/${tenantId}/playbook-runs/${runId}`),
    refetchInterval: (q) => (q.state.data && ['queued', 'running'].includes(q.state.data.status) ? 1500 : false),
  });
  const cancel = useMutation({ mutationFn: () => api.post(`/tenants/${tenantId}/playbook-runs/${runId}/cancel`), onSuccess: () => { void qc.invalidateQueries({ queryKey: ['run', tenantId, runId] }); void qc.invalidateQueries({ queryKey: ['runs'] }); void qc.invalidateQueries({ queryKey: ['approvals'] }); } });
  if (run.isLoading) return <Loading what="the run" />;
  if (run.error) return <Failed what="the run" error={run.error} retry={() => run.refetch()} />;
  const r = run.data!;
  return (
    <Stack>
      <Anchor component={Link} to={`/t/${tenantId}/runs`} size="sm">← Playbook runs</Anchor>
      <Group gap="xs"><Title order={2}>{r.playbookName}</Title><StatusBadge value={r.status} /></Group>
      <Text size="sm" c="dimmed">{r.trigger} run for {r.scope} <Anchor component={Link} to={`/t/${tenantId}/${r.scope === 'incident' ? 'incidents' : 'alerts'}/${r.itemId}`} size="sm">{r.itemId.slice(0, 8)}</Anchor> · started {when(r.createdAt)} by {r.launcher?.name}{r.finishedAt ? ` · finished ${when(r.finishedAt)}` : ''}</Text>
      {r.error && <Text c="red" size="sm">{r.error}</Text>}
      <Group gap="xs">
        {r.status === 'awaitingApproval' && <RunDecision tenantId={tenantId} runId={runId} reason={perms.why('response.approve')} deadline={r.approvalDeadline} />}
        {['queued', 'running', 'awaitingApproval'].includes(r.status) && <GuardedButton variant="default" reason={perms.why('playbooks.launch')} loading={cancel.isPending} onClick={() => cancel.mutate()}>Cancel run</GuardedButton>}
      </Group>
      <ErrorText error={cancel.error} />
      <Title order={4}>Steps</Title>
      {!r.steps?.length ? <Text c="dimmed" size="sm">No step has run yet.</Text> : r.steps.map((s) => (
        <Paper key={s.path} withBorder p="sm">
          <Group gap="xs"><Text fw={600} size="sm">{s.stepId}</Text><Badge size="xs" variant="outline">{s.kind}</Badge><StatusBadge value={s.status} /><Text size="xs" c="dimmed">{when(s.startedAt)}</Text></Group>
          {s.error && <Text c="red" size="sm">{s.error}</Text>}
          {(() => {
            const a = approvalOf(s);
            if (!a) return null;
            if (s.status === 'awaitingApproval') {
              return <Box mt="xs"><StepDecision tenantId={tenantId} runId={runId} path={s.path} reason={perms.why('response.approve')} deadline={a.deadline} /></Box>;
            }
            if (a.decision === 'expired') return <Text size="xs" c="dimmed">nobody approved it in time</Text>;
            return a.decision ? <Text size="xs" c="dimmed">{a.decision} by {a.decidedBy}{a.decidedAt ? ` · ${when(a.decidedAt)}` : ''}</Text> : null;
          })()}
          <Group align="start" grow mt="xs">
            <div><Text size="xs" fw={600}>Input</Text><Code block style={{ maxHeight: 200, overflow: 'auto' }}>{json(s.input) || '—'}</Code></div>
            <div><Text size="xs" fw={600}>Output</Text><Code block style={{ maxHeight: 200, overflow: 'auto' }}>{json(s.output) || '—'}</Code></div>
          </Group>
        </Paper>
      ))}
    </Stack>
  );
}
