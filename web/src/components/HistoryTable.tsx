import { Anchor, Button, Group, Table, Text, Tooltip } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, type CatalogueItem, type ResponseAction } from '../api.ts';
import { ago, when } from '../format.ts';
import { usePerms } from '../session.ts';
import { StatusBadge } from './Badges.tsx';
import { ErrorText } from './States.tsx';

export function targetText(a: ResponseAction): string {
  return a.target.kind === 'none' ? '—' : `${a.target.kind.replace('observable:', '')}: ${a.target.value}`;
}

/** Response history rows with Undo where the action declares one; `decide` adds Approve/Reject (the approvals queue). */
export function HistoryTable({ tenantId, items, decide }: { tenantId: string; items: ResponseAction[]; decide?: boolean }) {
  const qc = useQueryClient();
  const perms = usePerms(tenantId);
  const catalogue = useQuery({ queryKey: ['catalogue', tenantId], queryFn: () => api.get<{ items: CatalogueItem[] }>(`/tenants/${tenantId}/response/catalogue`).then((r) => r.items), enabled: perms.can('response.launch') });
  const undoOf = (a: ResponseAction) => catalogue.data?.find((c) => c.instanceId === a.instanceId && c.action === a.action)?.undo ?? null;
  const act = useMutation({
    mutationFn: ({ a, op }: { a: ResponseAction; op: 'approve' | 'reject' | 'undo' | 'cancel' }) => api.post(`/tenants/${a.tenantId}/response/actions/${a.id}/${op}`, {}),
    onSettled: () => {
      void qc.invalidateQueries({ queryKey: ['history'] });
      void qc.invalidateQueries({ queryKey: ['approvals'] });
    },
  });
  const busy = (id: string, op: string) => act.isPending && act.variables?.a.id === id && act.variables.op === op;
  return (
    <>
      <ErrorText error={act.error} />
      <Table striped verticalSpacing="xs" aria-label={decide ? 'Actions awaiting approval' : 'Response history'}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>When</Table.Th>
            <Table.Th>Action</Table.Th>
            <Table.Th>Target</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Launched by</Table.Th>
            <Table.Th>Result</Table.Th>
            <Table.Th aria-label="Controls" />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {items.map((a) => {
            const undo = undoOf(a);
            return (
              <Table.Tr key={a.id}>
                <Table.Td><Text size="sm" title={when(a.createdAt)}>{ago(a.createdAt)}</Text></Table.Td>
                <Table.Td>
                  <Text size="sm" fw={500}>{a.action}</Text>
                  <Text size="xs" c="dimmed">{a.instanceName}{a.undoOf ? ' · undo' : ''}</Text>
                </Table.Td>
                <Table.Td>
                  <Text size="sm" ff="monospace">{targetText(a)}</Text>
                  <Group gap={8}>
                    {a.alertId && <Anchor size="xs" component={Link} to={`/t/${a.tenantId}/alerts/${a.alertId}`}>alert</Anchor>}
                    {a.incidentId && <Anchor size="xs" component={Link} to={`/t/${a.tenantId}/incidents/${a.incidentId}`}>incident</Anchor>}
                  </Group>
                </Table.Td>
                <Table.Td>
                  <StatusBadge value={a.status} />
                  {a.status === 'awaitingApproval' && a.approvalDeadline && <Text size="xs" c="dimmed">until {when(a.approvalDeadline)}</Text>}
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{a.launcher.name}</Text>
                  {a.decision && <Text size="xs" c="dimmed">{a.status === 'rejected' ? 'rejected' : 'approved'} by {a.decision.byName}</Text>}
                </Table.Td>
                <Table.Td maw={280}>
                  <Text size="xs" lineClamp={3} c={a.error ? 'red' : undefined}>{a.error ?? a.result?.summary ?? '—'}</Text>
                </Table.Td>
                <Table.Td>
                  <Group gap={4} wrap="nowrap">
                    {decide && a.status === 'awaitingApproval' && (
                      <>
                        <Button size="xs" color="green" loading={busy(a.id, 'approve')} onClick={() => act.mutate({ a, op: 'approve' })} aria-label={`Approve ${a.action} on ${a.target.value}`}>Approve</Button>
                        <Button size="xs" color="red" variant="light" loading={busy(a.id, 'reject')} onClick={() => act.mutate({ a, op: 'reject' })} aria-label={`Reject ${a.action} on ${a.target.value}`}>Reject</Button>
                      </>
                    )}
                    {!decide && (a.status === 'awaitingApproval' || a.status === 'queued') && perms.can('response.launch') && (
                      <Button size="xs" variant="default" loading={busy(a.id, 'cancel')} onClick={() => act.mutate({ a, op: 'cancel' })}>Cancel</Button>
                    )}
                    {!decide && a.status === 'succeeded' && undo && !a.undoneBy && !a.undoOf && (
                      <Tooltip label={`Runs ${undo} on the same target`}>
                        <Button size="xs" variant="light" loading={busy(a.id, 'undo')} onClick={() => act.mutate({ a, op: 'undo' })}>Undo</Button>
                      </Tooltip>
                    )}
                    {a.undoneBy && <Text size="xs" c="dimmed">undone</Text>}
                  </Group>
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </>
  );
}
