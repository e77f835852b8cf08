import { Alert, Badge, Group, Paper, Progress, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { isFinished, itemLaunch, launchAction, type Asset, type ItemRef, type ResponseAction } from '../api.ts';
import { ago, when, words } from '../format.ts';
import { accountEmail, latestOn, useItemActions, type KasapInstance, type KasapTraining } from '../kasap.ts';
import { KasapAssignDialog } from './KasapAssignDialog.tsx';
import { GuardedButton } from './Guarded.tsx';
import { ErrorText, Loading } from './States.tsx';

interface Props {
  /** The alert or incident the panel is opened on: lookups and group changes are launched on it and read back from its history. */
  item: ItemRef;
  /** The account (on an incident: the one of its alerts' copies that has an e-mail). */
  asset: Asset;
  /** Every asset id this row stands for (an incident's account on several alerts); default: the asset's. */
  assetIds?: string[];
  instance: KasapInstance;
  /** Why the user may not launch; undefined when allowed. */
  reason?: string;
}

/**
 * An account's KASAP training: the newest `lookup` of this account in the alert's or incident's response history,
 * launched when there is none yet; "Look up again" launches another. "Assign KASAP group…" launches
 * `assignGroup` (approval, history and undo as for any action).
 */
export function KasapPanel({ item, asset, assetIds = [asset.id], instance, reason }: Props) {
  const qc = useQueryClient();
  const email = accountEmail(asset);
  const history = useItemActions(item, (items) => [latestOn(items, instance.instanceId, assetIds, ['lookup']), latestOn(items, instance.instanceId, assetIds, ['assignGroup', 'restoreGroup'])].some((a) => a && !isFinished(a) && a.status !== 'awaitingApproval'));
  const lookup = latestOn(history.data?.items, instance.instanceId, assetIds, ['lookup']);
  const change = latestOn(history.data?.items, instance.instanceId, assetIds, ['assignGroup', 'restoreGroup']);
  const [assigning, setAssigning] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);

  const launch = useMutation({
    mutationFn: () => launchAction(item.tenantId, { instanceId: instance.instanceId, action: 'lookup', params: {}, ...itemLaunch(item), assetIds: [asset.id], approval: { required: false } }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['history'] }),
  });
  // Opening the panel asks KASAP once when this account has never been looked up on this alert or incident.
  const asked = useRef(false);
  useEffect(() => {
    if (asked.current || reason || !email || !history.isSuccess || lookup) return;
    asked.current = true;
    launch.mutate();
  }, [history.isSuccess, lookup, reason, email]);

  const blocked = reason ?? (email ? undefined : 'This account has no e-mail address: KASAP matches users by e-mail.');
  const running = launch.isPending || (!!lookup && !isFinished(lookup) && lookup.status !== 'awaitingApproval');
  const training = lookup?.status === 'succeeded' ? (lookup.result?.output as KasapTraining | undefined) : undefined;
  const assignBlocked = blocked ?? (!instance.canAssign ? 'This KASAP integration offers no group change.' : training && !training.found ? 'The user is not in KASAP: there is no group to change.' : undefined);

  return (
    <Paper withBorder p="sm" bg="var(--mantine-color-body)" aria-label={`KASAP training of ${asset.name}`} role="region">
      <Stack gap="sm">
        <Group justify="space-between" align="start">
          <div>
            <Title order={5}>Training (KASAP){email ? ` — ${email}` : ''}</Title>
            <Text size="xs" c="dimmed">
              {instance.instanceName}
              {lookup && isFinished(lookup) ? ` · looked up ${ago(lookup.finishedAt)} by ${lookup.launcher.name}` : ''}
            </Text>
          </div>
          <Group gap="xs">
            <GuardedButton size="xs" variant="default" reason={blocked} loading={running} onClick={() => { setNotice(null); launch.mutate(); }}>Look up again</GuardedButton>
            <GuardedButton size="xs" reason={assignBlocked} onClick={() => setAssigning(true)}>Assign KASAP group…</GuardedButton>
          </Group>
        </Group>
        {notice && <Text size="sm" role="status">{notice}</Text>}
        <ChangeNote change={change} lookup={lookup} />
        <ErrorText error={launch.error} />
        {!email ? (
          <Alert color="yellow" title="No e-mail on this account">KASAP finds users by e-mail, and this account came without one (login, e-mail or UPN). Look the user up in KASAP by hand, or add the e-mail to the alert's source.</Alert>
        ) : history.isLoading ? (
          <Loading what="the last KASAP lookup" />
        ) : history.error ? (
          <ErrorText error={history.error} />
        ) : reason && !lookup ? (
          <Text size="sm" c="dimmed">Not looked up yet. {reason}</Text>
        ) : running || !lookup ? (
          <Loading what="training facts from KASAP" />
        ) : (
          <LookupResult entry={lookup} training={training} />
        )}
      </Stack>
      {assigning && (
        <KasapAssignDialog item={item} asset={asset} instance={instance} currentGroupId={training?.found ? training.group?.id ?? null : null}
          onClose={() => setAssigning(false)} onLaunched={(a) => setNotice(a.status === 'awaitingApproval' ? 'Group change sent for approval: it runs once an approver agrees (see Approvals).' : 'Group change launched: it shows in the Response history tab, where it can be undone.')} />
      )}
    </Paper>
  );
}

/** The newest group change of this account, and whether the lookup shown predates it. */
function ChangeNote({ change, lookup }: { change?: ResponseAction; lookup?: ResponseAction }) {
  if (!change) return null;
  const stale = change.status === 'succeeded' && lookup && change.finishedAt && lookup.createdAt < change.finishedAt;
  return (
    <Text size="xs" c="dimmed">
      Last group change: <b>{words(change.status)}</b> {ago(change.finishedAt ?? change.createdAt)}{change.result?.summary ? ` — ${change.result.summary}` : ''}
      {stale ? '. The training below predates it: Look up again to see the new group.' : ''}
    </Text>
  );
}

function LookupResult({ entry, training }: { entry: ResponseAction; training?: KasapTraining }) {
  if (entry.status === 'awaitingApproval') return <Alert color="yellow" title="The lookup waits for an approver">An approver must agree before xdrhub asks KASAP (see Approvals), or cancel it in Response history and look up again.</Alert>;
  if (entry.status !== 'succeeded') {
    return (
      <Alert color="red" title={`The KASAP lookup ${words(entry.status).toLowerCase()}`} role="alert">
        <Text size="sm">{entry.error ?? 'No answer.'}</Text>
        <Text size="sm" mt={4}>Check the KASAP integration (Settings → Tenants → Settings → Check connection), then Look up again.</Text>
      </Alert>
    );
  }
  if (!training) return <Text size="sm" c="dimmed">KASAP answered without training facts.</Text>;
  if (!training.found) {
    return (
      <Alert color="gray" title="Not found in KASAP">
        {training.email} is not a KASAP user, so they have no courses. Add them to KASAP (Import and sync) or check the account's e-mail; a group can be assigned once KASAP knows them.
      </Alert>
    );
  }
  return <Training t={training} />;
}

function Training({ t }: { t: Extract<KasapTraining, { found: true }> }) {
  const courses = [
    ...t.inProgress.map((c) => ({ ...c, state: 'In progress', value: c.progress ?? 0 })),
    ...t.completed.map((c) => ({ ...c, state: 'Completed', value: 100 })),
    ...t.planned.map((c) => ({ ...c, state: 'Planned', value: 0 })),
  ];
  return (
    <Stack gap="xs">
      <Group gap="lg">
        <Text size="sm">{t.fullName ?? t.email}</Text>
        <Text size="sm">Learning group: {t.group ? <Badge variant="light">{t.group.name}</Badge> : <b>none</b>}</Text>
        <Text size="sm" c="dimmed">{t.completed.length} completed · {t.inProgress.length} in progress · {t.planned.length} planned</Text>
      </Group>
      {courses.length ? (
        <Table verticalSpacing={4} aria-label="KASAP courses">
          <Table.Thead><Table.Tr><Table.Th>Course</Table.Th><Table.Th>State</Table.Th><Table.Th w={260}>Progress</Table.Th><Table.Th>Completed</Table.Th></Table.Tr></Table.Thead>
          <Table.Tbody>
            {courses.map((c) => (
              <Table.Tr key={`${c.state}-${c.id}`}>
                <Table.Td><Text size="sm">{c.name}</Text></Table.Td>
                <Table.Td><Badge size="sm" variant="light" color={c.state === 'Completed' ? 'green' : c.state === 'In progress' ? 'blue' : 'gray'}>{c.state}</Badge></Table.Td>
                <Table.Td>
                  <Group gap="xs" wrap="nowrap">
                    <Progress value={c.value} w={180} aria-label={`${c.name}: ${c.value}%`} color={c.value === 100 ? 'green' : 'blue'} />
                    <Text size="xs">{c.value}%</Text>
                  </Group>
                </Table.Td>
                <Table.Td><Text size="xs" c="dimmed">{c.completedAt ? when(c.completedAt) : '—'}</Text></Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : (
        <Text size="sm" c="dimmed">No courses assigned yet: assign a learning group to give the user its courses.</Text>
      )}
      <Text size="sm">
        Certificates: {t.certificates.length ? t.certificates.map((c) => `${c.course} (${when(c.issuedAt)})`).join(', ') : <Text span c="dimmed" size="sm">none yet</Text>}
      </Text>
    </Stack>
  );
}
