import { Anchor, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, type Page, type ResponseAction, type Run } from '../api.ts';
import { ago, when } from '../format.ts';
import { usePerms, useTenantId } from '../session.ts';
import { HistoryTable } from '../components/HistoryTable.tsx';
import { RunDecision, StepDecision } from '../components/Decisions.tsx';
import { Empty, Failed, Loading } from '../components/States.tsx';

const LIMIT = 100;

/** `GET …/playbook-runs?awaiting=approval`: a run awaiting approval, or a running run with the steps awaiting approval. */
interface AwaitingRun extends Run {
  awaitingSteps: { path: string; stepId: string; kind: string; startedAt: string; deadline: string | null }[];
  item: { kind: 'alert' | 'incident'; id: string; shortId: string; title: string } | null;
}

/** The alert or incident a run is for: short id and title, linked. */
function ItemLink({ r }: { r: AwaitingRun }) {
  const kind = r.item?.kind ?? (r.scope === 'incident' ? 'incident' : 'alert');
  return (
    <Anchor component={Link} to={`/t/${r.tenantId}/${kind}s/${r.itemId}`} size="sm">
      {r.item ? `${r.item.shortId} ${r.item.title}` : `${kind} ${r.itemId.slice(0, 8)}`}
    </Anchor>
  );
}

function More({ shown, what }: { shown: boolean; what: string }) {
  return shown ? <Text size="xs" c="dimmed">Showing the newest {LIMIT} {what}; decide these to see the others.</Text> : null;
}

/**
 * The approver's queue, refreshed every 10 s, for the tenant and its customers: response actions,
 * training-mode playbook runs, and playbook steps that need approval.
 */
export function ApprovalsPage() {
  const tenantId = useTenantId();
  const perms = usePerms(tenantId);
  const reason = perms.loading ? undefined : perms.why('response.approve');
  const actions = useQuery({
    queryKey: ['approvals', 'actions', tenantId],
    queryFn: () => api.get<Page<ResponseAction>>(`/tenants/${tenantId}/response/actions?status=awaitingApproval&subtree=true&limit=${LIMIT}`),
    refetchInterval: 10_000,
  });
  const playbooks = useQuery({
    queryKey: ['approvals', 'playbooks', tenantId],
    queryFn: () => api.get<Page<AwaitingRun>>(`/tenants/${tenantId}/playbook-runs?awaiting=approval&subtree=true&limit=${LIMIT}`),
    refetchInterval: 10_000,
  });
  const runs = playbooks.data?.items.filter((r) => r.status === 'awaitingApproval') ?? [];
  const steps = playbooks.data?.items.flatMap((r) => r.awaitingSteps.map((s) => ({ run: r, step: s }))) ?? [];
  const playbookState = (what: string) => (playbooks.isLoading ? <Loading what={what} /> : playbooks.error ? <Failed what={what} error={playbooks.error} retry={() => playbooks.refetch()} /> : null);
  return (
    <Stack>
      <Title order={2}>Approvals</Title>
      <Text size="sm" c="dimmed">What waits for an approver on this tenant and its customers. Anything not decided within its window times out and never runs. The lists refresh every 10 seconds.</Text>
      {reason && <Text size="sm" c="orange">{reason}</Text>}

      <Title order={4}>Response actions</Title>
      {actions.isLoading ? <Loading what="the response actions awaiting approval" /> : actions.error ? <Failed what="the response actions awaiting approval" error={actions.error} retry={() => actions.refetch()} /> : !actions.data?.items.length ? (
        <Empty title="No actions to approve" hint="When an analyst launches an action with “Require approval”, or a playbook's action step requires approval, the action appears here." />
      ) : (
        <>
          <HistoryTable tenantId={tenantId} items={actions.data.items} decide={perms.can('response.approve')} />
          <More shown={!!actions.data.nextCursor} what="actions" />
        </>
      )}

      <Title order={4}>Playbook runs (training mode)</Title>
      {playbookState('the playbook runs awaiting approval') ?? (!runs.length ? (
        <Empty title="No runs to approve" hint="When a playbook in training mode matches an alert or an incident, its run waits here: approved, it runs; rejected, it does nothing." />
      ) : (
        <Table striped verticalSpacing="xs" aria-label="Playbook runs awaiting approval">
          <Table.Thead><Table.Tr><Table.Th>Matched</Table.Th><Table.Th>Playbook</Table.Th><Table.Th>For</Table.Th><Table.Th aria-label="Controls" /></Table.Tr></Table.Thead>
          <Table.Tbody>
            {runs.map((r) => (
              <Table.Tr key={r.id}>
                <Table.Td><Anchor component={Link} to={`/t/${r.tenantId}/runs/${r.id}`} size="sm" title={when(r.createdAt)}>{ago(r.createdAt)}</Anchor></Table.Td>
                <Table.Td><Text size="sm">{r.playbookName} <Text span c="dimmed" size="xs">v{r.playbookVersion}</Text></Text></Table.Td>
                <Table.Td><ItemLink r={r} /></Table.Td>
                <Table.Td miw={320}><RunDecision tenantId={r.tenantId} runId={r.id} reason={reason} deadline={r.approvalDeadline} label={`${r.playbookName} for ${r.item?.shortId ?? r.itemId}`} size="xs" /></Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ))}

      <Title order={4}>Playbook steps</Title>
      {playbookState('the playbook steps awaiting approval') ?? (!steps.length ? (
        <Empty title="No steps to approve" hint="When a running playbook reaches an update or enrichment step that requires approval, the step waits here; the run goes on once it is approved." />
      ) : (
        <Table striped verticalSpacing="xs" aria-label="Playbook steps awaiting approval">
          <Table.Thead><Table.Tr><Table.Th>Waiting since</Table.Th><Table.Th>Step</Table.Th><Table.Th>Playbook run</Table.Th><Table.Th>For</Table.Th><Table.Th aria-label="Controls" /></Table.Tr></Table.Thead>
          <Table.Tbody>
            {steps.map(({ run: r, step: s }) => (
              <Table.Tr key={`${r.id}:${s.path}`}>
                <Table.Td><Text size="sm" title={when(s.startedAt)}>{ago(s.startedAt)}</Text></Table.Td>
                <Table.Td>
                  <Text size="sm" fw={500}>{s.stepId}</Text>
                  <Text size="xs" c="dimmed">{s.kind}</Text>
                  {s.path !== s.stepId && <Text size="xs" c="dimmed" ff="monospace">{s.path}</Text>}
                </Table.Td>
                <Table.Td><Anchor component={Link} to={`/t/${r.tenantId}/runs/${r.id}`} size="sm">{r.playbookName}</Anchor></Table.Td>
                <Table.Td><ItemLink r={r} /></Table.Td>
                <Table.Td miw={320}><StepDecision tenantId={r.tenantId} runId={r.id} path={s.path} reason={reason} deadline={s.deadline} label={`${s.path} of ${r.playbookName}`} /></Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ))}
      <More shown={!!playbooks.data?.nextCursor} what="playbook runs" />
    </Stack>
  );
}
