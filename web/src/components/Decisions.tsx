import { Group, Text } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../api.ts';
import { when } from '../format.ts';
import { GuardedButton } from './Guarded.tsx';
import { ErrorText } from './States.tsx';

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
export function RunDecision(props: DecisionProps) {
  return <Decision {...props} what="run" base={`/tenants/${props.tenantId}/playbook-runs/${props.runId}`} size={props.size ?? 'sm'} />;
}

/** Approve / Reject of a step awaiting approval (updateData, enrichment), with its deadline and the error of a refused decision. */
export function StepDecision({ path, ...props }: DecisionProps & { path: string }) {
  return <Decision {...props} what="step" base={`/tenants/${props.tenantId}/playbook-runs/${props.runId}/steps/${encodeURIComponent(path)}`} size={props.size ?? 'xs'} waiting />;
}

function Decision({ tenantId, runId, reason, deadline, label, size, what, base, waiting }: DecisionProps & { what: 'run' | 'step'; base: string; waiting?: boolean }) {
  const qc = useQueryClient();
  const decide = useMutation({
    mutationFn: (op: 'approve' | 'reject') => api.post(`${base}/${op}`),
    // After a decision: the run's page, the runs list and the approvals queue show it.
    onSettled: () => {
      void qc.invalidateQueries({ queryKey: ['run', tenantId, runId] });
      void qc.invalidateQueries({ queryKey: ['runs'] });
      void qc.invalidateQueries({ queryKey: ['approvals'] });
    },
  });
  const busy = (op: string) => decide.isPending && decide.variables === op;
  return (
    <div>
      <Group gap="xs">
        <Group gap="xs" wrap="nowrap" style={{ flexShrink: 0 }}>
          <GuardedButton size={size} color="green" reason={reason} loading={busy('approve')} onClick={() => decide.mutate('approve')} aria-label={label ? `Approve ${what} ${label}` : undefined}>Approve {what}</GuardedButton>
          <GuardedButton size={size} color="red" variant="light" reason={reason} loading={busy('reject')} onClick={() => decide.mutate('reject')} aria-label={label ? `Reject ${what} ${label}` : undefined}>Reject {what}</GuardedButton>
        </Group>
        {deadline && <Text size="sm" c="dimmed">{waiting ? 'waiting for approval · ' : ''}decide before {when(deadline)}</Text>}
      </Group>
      <ErrorText error={decide.error} />
    </div>
  );
}
