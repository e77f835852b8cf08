import { Alert, Button, Group, Modal, NumberInput, Select, Stack, Switch, Text } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { fieldOf, itemLaunch, launchAction, type Asset, type ItemRef, type ResponseAction } from '../api.ts';
import { ago } from '../format.ts';
import { useKasapGroups, type KasapInstance } from '../kasap.ts';
import { ErrorText, Loading } from './States.tsx';

interface Props {
  /** The alert or incident the group change is launched on. */
  item: ItemRef; asset: Asset; instance: KasapInstance; currentGroupId: string | null;
  onClose: () => void; onLaunched: (entry: ResponseAction) => void;
}

/** "Assign KASAP group": pick a learning group (from listGroups' output) and launch assignGroup on the account. */
export function KasapAssignDialog({ item, asset, instance, currentGroupId, onClose, onLaunched }: Props) {
  const qc = useQueryClient();
  const tenantId = item.tenantId;
  const groups = useKasapGroups(tenantId, instance.instanceId, true);
  const [groupId, setGroupId] = useState<string | null>(null);
  const [approval, setApproval] = useState(false);
  const [windowMinutes, setWindowMinutes] = useState(60);
  const group = groups.data?.groups.find((g) => g.id === groupId);
  const assign = useMutation({
    mutationFn: () => launchAction(tenantId, { instanceId: instance.instanceId, action: 'assignGroup', params: { groupId: groupId! }, ...itemLaunch(item), assetIds: [asset.id], approval: { required: approval, ...(approval ? { windowMinutes } : {}) } }),
    onSuccess: (r) => {
      void qc.invalidateQueries({ queryKey: ['history'] });
      void qc.invalidateQueries({ queryKey: ['approvals'] });
      onLaunched(r.actions[0]);
      onClose();
    },
  });

  return (
    <Modal opened onClose={onClose} title={`Assign KASAP group to ${asset.name}`} size="lg">
      {groups.isLoading ? (
        <Loading what="the KASAP learning groups" />
      ) : groups.error ? (
        <Stack gap="xs">
          <ErrorText error={groups.error} />
          <Group><Button size="xs" variant="light" onClick={() => groups.refetch()}>Retry</Button></Group>
        </Stack>
      ) : !groups.data?.groups.length ? (
        <Alert color="yellow" title="KASAP has no learning groups">Create a learning group in KASAP first, then open this dialog again.</Alert>
      ) : (
        <Stack component="form" onSubmit={(e) => { e.preventDefault(); if (groupId) assign.mutate(); }}>
          <Select label="Learning group" placeholder="Choose a group" required data-autofocus searchable allowDeselect={false}
            description={`Moving the user assigns the group's courses; KASAP notifies its administrator. Groups as of ${ago(groups.data.at)}.`}
            data={groups.data.groups.map((g) => ({ value: g.id, label: g.id === currentGroupId ? `${g.name} (current)` : g.name, disabled: g.id === currentGroupId }))}
            value={groupId} onChange={setGroupId} error={fieldOf(assign.error) === 'groupId' ? (assign.error as Error).message : undefined} />
          {group && <Text size="xs" c="dimmed">Courses of {group.name}: {group.courses.map((c) => c.name).join(', ') || 'none'}</Text>}
          <Group align="end">
            <Switch label="Require approval" description="An approver must agree before it runs" checked={approval} onChange={(e) => setApproval(e.currentTarget.checked)} />
            {approval && <NumberInput label="Approval window, minutes" min={1} max={10080} w={200} value={windowMinutes} onChange={(v) => setWindowMinutes(Number(v) || 60)} />}
          </Group>
          <Text size="xs" c="dimmed">Recorded in the response history; Undo there moves the user back to their previous group.</Text>
          <ErrorText error={assign.error} />
          <Group justify="end">
            <Button variant="default" onClick={onClose}>Cancel</Button>
            <Button type="submit" disabled={!groupId} loading={assign.isPending}>{approval ? 'Send for approval' : 'Assign group'}</Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}
