import { Badge, Button, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useState } from 'react';
import type { Asset, ItemRef } from '../api.ts';
import { accountEmail, useKasap } from '../kasap.ts';
import { usePerms } from '../session.ts';
import { GuardedButton } from './Guarded.tsx';
import { KasapPanel } from './KasapPanel.tsx';
import { LaunchDialog } from './LaunchDialog.tsx';
import { AlertLinks, type LinkedAlert } from './ObservablesTab.tsx';
import { Empty } from './States.tsx';

/**
 * One row of the Assets tab: a host or an account with every stored copy of it. An incident's alerts
 * each store their own assets, so the same host or account named by several alerts (same kind and
 * name, case aside) is one row. `asset` is the copy that acts for the row: for accounts the first with
 * an e-mail (what KASAP matches), else the first.
 */
export interface AssetRow { key: string; asset: Asset; ids: string[]; alertIds: string[]; role: string | null }

export function groupAssets(list: Asset[]): AssetRow[] {
  const rows = new Map<string, AssetRow>();
  for (const x of list) {
    const key = `${x.kind}\u0000${x.name.toLowerCase()}`;
    const row = rows.get(key);
    if (!row) {
      rows.set(key, { key, asset: x, ids: [x.id], alertIds: x.alertId ? [x.alertId] : [], role: x.role });
      continue;
    }
    row.ids.push(x.id);
    if (x.alertId && !row.alertIds.includes(x.alertId)) row.alertIds.push(x.alertId);
    if (x.kind === 'account' && !accountEmail(row.asset) && accountEmail(x)) row.asset = x;
    // The same host may be the attacker in one alert and a victim in another: attacker wins.
    if (x.role && x.role !== row.role) row.role = !row.role ? x.role : x.role === 'attacker' ? 'attacker' : row.role;
  }
  return [...rows.values()];
}

function assetDetails(x: Asset): string {
  const at = x.attributes;
  if (x.kind === 'host') return [Array.isArray(at.ips) ? (at.ips as string[]).join(', ') : '', at.os ? String(at.os) : ''].filter(Boolean).join(' · ');
  return [at.upn, at.email, at.sid].filter(Boolean).join(' · ');
}

interface Props {
  item: ItemRef;
  assets: Asset[];
  /** An incident's linked alerts: adds the Alerts column and the incident's wording. */
  alerts?: LinkedAlert[];
}

/**
 * The Assets tab of an alert or an incident: hosts and accounts with Respond… on each (launched on
 * the item), and Training (KASAP) on accounts when the tenant has KASAP.
 */
export function AssetsTab({ item, assets, alerts }: Props) {
  const perms = usePerms(item.tenantId);
  const [launch, setLaunch] = useState<AssetRow[] | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const kasap = useKasap(item.tenantId);
  /** Rows whose KASAP training is open. */
  const [training, setTraining] = useState<string[]>([]);
  const rows = groupAssets(assets);
  if (!rows.length) {
    return item.kind === 'alert'
      ? <Empty title="No assets" hint="This alert names no hosts or accounts." />
      : alerts?.length
        ? <Empty title="No assets" hint="None of the linked alerts names a host or an account. Link related alerts that do to act on them here." />
        : <Empty title="No assets yet" hint="This incident has no alerts. Open an alert and choose “Link to incident…”: its hosts and accounts show here." />;
  }
  const columns = alerts ? 5 : 4;
  const section = (kind: 'host' | 'account', title: string) => {
    const list = rows.filter((r) => r.asset.kind === kind);
    if (!list.length) return null;
    return (
      <Stack gap="xs">
        <Title order={4}>{title}</Title>
        <Table verticalSpacing="xs" aria-label={title}>
          <Table.Thead>
            <Table.Tr><Table.Th>Name</Table.Th><Table.Th>Role</Table.Th><Table.Th>Details</Table.Th>{alerts && <Table.Th>Alerts</Table.Th>}<Table.Th aria-label="Actions" /></Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.map((r) => {
              const x = r.asset;
              const open = training.includes(r.key);
              return [
                <Table.Tr key={r.key}>
                  <Table.Td><Text size="sm" ff="monospace">{x.name}</Text></Table.Td>
                  <Table.Td>{r.role ? <Badge size="sm" color={r.role === 'attacker' ? 'red' : 'blue'} variant="light">{r.role}</Badge> : '—'}</Table.Td>
                  <Table.Td><Text size="xs" c="dimmed">{assetDetails(x) || '—'}</Text></Table.Td>
                  {alerts && <Table.Td><AlertLinks ids={r.alertIds} alerts={alerts} /></Table.Td>}
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap">
                      <GuardedButton size="xs" variant="light" reason={perms.why('response.launch')} onClick={() => setLaunch([r])}>Respond…</GuardedButton>
                      {kind === 'account' && kasap.known && (
                        <Button size="xs" variant={open ? 'filled' : 'default'} aria-expanded={open} aria-controls={`kasap-${x.id}`}
                          onClick={() => setTraining((t) => (t.includes(r.key) ? t.filter((k) => k !== r.key) : [...t, r.key]))}>
                          Training (KASAP)
                        </Button>
                      )}
                    </Group>
                  </Table.Td>
                </Table.Tr>,
                open && kasap.instance ? (
                  <Table.Tr key={`${r.key}-kasap`} id={`kasap-${x.id}`}>
                    <Table.Td colSpan={columns}><KasapPanel item={item} asset={x} assetIds={r.ids} instance={kasap.instance} reason={kasap.reason} /></Table.Td>
                  </Table.Tr>
                ) : null,
              ];
            })}
          </Table.Tbody>
        </Table>
      </Stack>
    );
  };
  return (
    <Stack>
      {notice && <Text size="sm" role="status">{notice}</Text>}
      {alerts && <Text size="xs" c="dimmed">The hosts and accounts of the incident's {alerts.length} alert(s); one named by several alerts is one row, and an action on it runs once.</Text>}
      {section('host', 'Hosts')}
      {section('account', 'Accounts')}
      <LaunchDialog tenantId={item.tenantId} opened={!!launch} onClose={() => setLaunch(null)} item={item} assetIds={launch?.map((r) => r.asset.id)}
        targets={(launch ?? []).map((r) => ({ kind: r.asset.kind, label: r.asset.name }))} onLaunched={(n) => setNotice(`${n} action(s) launched: see the Response history tab.`)} />
    </Stack>
  );
}
