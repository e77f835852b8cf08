import { Group, Text } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../api.ts';
import { when } from '../format.ts';
import { GuardedButton } from './Guarded.tsx';
import { ErrorText } from './States.tsx';

/** After a decision: the run's page, the runs list and the approvals queue show it. */
function useDecision(tenantId: string, runId: string, url: (op: 'approve' | 'reject') => string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (op: 'approve' | 'reject') => api.post(url(op)),
    onSettled: () => {
      void qc.invalidateQueries({ queryKey: ['run', tenantId, runId] });
      void qc.invalidateQueries({ queryKey: ['runs'] });
      void qc.invalidateQueries({ queryKey: ['approvals'] });
    },
  });
}

interface DecisionProps {
  /** The run's own tenant (a queue may list runs of descendants). */
  tenantId: string;
  runId: string;
  /** Why the user may not decide (response.approve), or undefined when they may. */
  reason?: string;
  deadline: string | null;
  /** Appended to the buttons' accessible names when several are on one page, e.g. "gate of Block IPs". */
  label?: string;
  size?: 'xs' | 'sm';
}

/** Approve / Reject of a training-mode run awaiting approval, with its deadline and the error of a refused decision. */
export function RunDecision({ tenantId, runId, reason, deadline, label, size = 'sm' }: DecisionProps) {
  const decide = useDecision(tenantId, runId, (op) => `/tenants/${tenantId}/playbook-runs/${runId}/${op}`);
  const busy = (op: string) => decide.isPending && decide.variables === op;
  return (
    <div>
      <Group gap="xs">
        <Group gap="xs" wrap="nowrap" style={{ flexShrink: 0 }}>
          <GuardedButton size={size} color="green" reason={reason} loading={busy('approve')} onClick={() => decide.mutate('approve')} aria-label={label ? `Approve run ${label}` : undefined}>Approve run</GuardedButton>
          <GuardedButton size={size} color="red" variant="light" reason={reason} loading={busy('reject')} onClick={() => decide.mutate('reject')} aria-label={label ? `Reject run ${label}` : undefined}>Reject run</GuardedButton>
        </Group>
        {deadline && <Text size="sm" c="dimmed">decide before {when(deadline)}</Text>}
      </Group>
      <ErrorText error={decide.error} />
    </div>
  );
}

/** Approve / Reject of a step awaiting approval (updateData, enrichment), with its deadline and the error of a refused decision. */
export function StepDecision({ tenantId, runId, path, reason, deadline, label, size = 'xs' }: DecisionProps & { path: string }) {
  const decide = useDecision(tenantId, runId, (op) => `/tenants/${tenantId}/playbook-runs/${runId}/steps/${encodeURIComponent(path)}/${op}`);
  const busy = (op: string) => decide.isPending && decide.variables === op;
  return (
    <div>
      <Group gap="xs">
        <Group gap="xs" wrap="nowrap" style={{ flexShrink: 0 }}>
          <GuardedButton size={size} color="green" reason={reason} loading={busy('approve')} onClick={() => decide.mutate('approve')} aria-label={label ? `Approve step ${label}` : undefined}>Approve step</GuardedButton>
          <GuardedButton size={size} color="red" variant="light" reason={reason} loading={busy('reject')} onClick={() => decide.mutate('reject')} aria-label={label ? `Reject step ${label}` : undefined}>Reject step</GuardedButton>
        </Group>
        {deadline && <Text size="sm" c="dimmed">waiting for approval · decide before {when(deadline)}</Text>}
      </Group>
      <ErrorText error={decide.error} />
    </div>
  );
}
