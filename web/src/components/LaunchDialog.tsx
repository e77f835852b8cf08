import { Alert, Button, Group, Modal, NumberInput, Select, Stack, Switch, Text, TextInput } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { api, fieldOf, itemLaunch, type CatalogueItem, type ItemRef } from '../api.ts';
import { defaultsOf, SchemaForm } from './SchemaForm.tsx';
import { ErrorText, Loading } from './States.tsx';

export interface LaunchTarget { kind: string; label: string }

interface Props {
  tenantId: string;
  opened: boolean;
  onClose: () => void;
  /** The selected observables/assets (their target kinds decide which actions fit); none: enter a target by hand. */
  targets: LaunchTarget[];
  /** The alert or incident launched from: recorded on the entries, shown in its Response history. */
  item?: ItemRef;
  observableIds?: string[];
  assetIds?: string[];
  onLaunched?: (count: number) => void;
}

const keyOf = (c: CatalogueItem) => `${c.instanceId}|${c.action}`;

/** Launch a response action: the action list comes from the tenant's catalogue, its form from the action's parameter schema. */
export function LaunchDialog({ tenantId, opened, onClose, targets, item, observableIds, assetIds, onLaunched }: Props) {
  const qc = useQueryClient();
  const catalogue = useQuery({ queryKey: ['catalogue', tenantId], queryFn: () => api.get<{ items: CatalogueItem[] }>(`/tenants/${tenantId}/response/catalogue`).then((r) => r.items), enabled: opened });
  const kinds = [...new Set(targets.map((t) => t.kind))];
  const fitting = useMemo(() => (catalogue.data ?? []).filter((c) => kinds.every((k) => c.targetKinds.includes(k))), [catalogue.data, kinds.join()]);
  const [selected, setSelected] = useState<string | null>(null);
  const action = fitting.find((c) => keyOf(c) === selected);
  const [params, setParams] = useState<Record<string, unknown>>({});
  const [approval, setApproval] = useState(false);
  const [windowMinutes, setWindowMinutes] = useState<number>(60);
  const [manualKind, setManualKind] = useState<string | null>(null);
  const [manualValue, setManualValue] = useState('');

  useEffect(() => {
    if (opened) {
      setSelected(null);
      setApproval(false);
      launch.reset();
    }
  }, [opened]);
  useEffect(() => {
    setParams(defaultsOf(action?.paramsSchema));
    setManualKind(action?.targetKinds[0] ?? null);
  }, [selected]);

  const launch = useMutation({
    mutationFn: () =>
      api.post<{ launchId: string; actions: unknown[] }>(`/tenants/${tenantId}/response/launches`, {
        instanceId: action!.instanceId,
        action: action!.action,
        params,
        ...(item ? itemLaunch(item) : {}),
        ...(observableIds?.length ? { observableIds } : {}),
        ...(assetIds?.length ? { assetIds } : {}),
        ...(targets.length ? {} : manualKind && manualKind !== 'none' ? { targets: [{ kind: manualKind, value: manualValue }] } : { targets: [{ kind: 'none', value: '' }] }),
        approval: { required: approval, ...(approval ? { windowMinutes } : {}) },
      }),
    onSuccess: (r) => {
      void qc.invalidateQueries({ queryKey: ['history'] });
      void qc.invalidateQueries({ queryKey: ['approvals'] });
      onLaunched?.(r.actions.length);
      onClose();
    },
  });
  const errField = fieldOf(launch.error);

  return (
    <Modal opened={opened} onClose={onClose} title="Launch a response action" size="lg">
      {catalogue.isLoading ? (
        <Loading what="the actions of your integrations" />
      ) : catalogue.error ? (
        <ErrorText error={catalogue.error} />
      ) : !fitting.length ? (
        <Alert color="yellow" title="No action fits">
          {catalogue.data?.length
            ? `None of the enabled integrations has an action for ${kinds.join(', ')}. Select other targets, or enable an integration that acts on them in Settings → Tenants.`
            : 'This tenant has no enabled integration with response actions. Configure one in Settings → Tenants → Settings.'}
        </Alert>
      ) : (
        <Stack component="form" onSubmit={(e) => { e.preventDefault(); if (action) launch.mutate(); }}>
          {targets.length > 0 && (
            <Text size="sm">
              Targets ({targets.length}): {targets.slice(0, 6).map((t) => t.label).join(', ')}{targets.length > 6 ? ', …' : ''}
            </Text>
          )}
          <Select label="Action" placeholder="Choose an action" required searchable data-autofocus
            data={fitting.map((c) => ({ value: keyOf(c), label: `${c.title} — ${c.instanceName}` }))} value={selected} onChange={setSelected} />
          {action?.description && <Text size="xs" c="dimmed">{action.description}{action.undo ? ' · can be undone' : ''}</Text>}
          {action && !targets.length && (
            <Group grow>
              <Select label="Target kind" data={action.targetKinds} value={manualKind} onChange={setManualKind} allowDeselect={false} />
              {manualKind !== 'none' && <TextInput label="Target value" required value={manualValue} onChange={(e) => setManualValue(e.currentTarget.value)} error={errField === 'targets' ? (launch.error as Error).message : undefined} />}
            </Group>
          )}
          {action && <SchemaForm schema={action.paramsSchema} value={params} onChange={setParams} idPrefix="param" error={errField ? { field: errField, message: (launch.error as Error).message } : null} />}
          {action && (
            <Group align="end">
              <Switch label="Require approval" description="An approver must agree before it runs" checked={approval} onChange={(e) => setApproval(e.currentTarget.checked)} />
              {approval && <NumberInput label="Approval window, minutes" min={1} max={10080} w={200} value={windowMinutes} onChange={(v) => setWindowMinutes(Number(v) || 60)} />}
            </Group>
          )}
          <ErrorText error={launch.error} />
          <Group justify="end">
            <Button variant="default" onClick={onClose}>Cancel</Button>
            <Button type="submit" disabled={!action} loading={launch.isPending}>{approval ? 'Send for approval' : 'Launch'}</Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}
