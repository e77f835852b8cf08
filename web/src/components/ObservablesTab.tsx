import { Anchor, Badge, Checkbox, Group, Stack, Table, Text } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api, itemPath, type Enrichment, type ItemRef, type Observable } from '../api.ts';
import { ago, ZONE_COLOR } from '../format.ts';
import { usePerms } from '../session.ts';
import { GuardedButton } from './Guarded.tsx';
import { LaunchDialog, type LaunchTarget } from './LaunchDialog.tsx';
import { Empty, ErrorText } from './States.tsx';

/** An alert linked to an incident, as the incident's tabs name it. */
export interface LinkedAlert { id: string; shortId: string; tenantId: string }

/**
 * One row of the Observables tab: a type and value with every stored observable of it. An alert has
 * one per value; an incident's alerts each store their own, so a value they share is one row here.
 * Enrichment is recorded on every observable of the tenant with the same type and value, so the
 * newest one stands for all.
 */
export interface ObservableRow {
  key: string; type: string; value: string; ids: string[]; alertIds: string[];
  enrichment: Enrichment | null; enrichmentAt: string | null; statusUpdate: Enrichment | null; statusUpdateAt: string | null;
}

const newer = (a: string | null, b: string | null) => (b && (!a || b > a) ? b : a);

export function groupObservables(list: Observable[]): ObservableRow[] {
  const rows = new Map<string, ObservableRow>();
  for (const o of list) {
    const key = `${o.type}\u0000${o.value}`;
    const row = rows.get(key);
    if (!row) {
      rows.set(key, { key, type: o.type, value: o.value, ids: [o.id], alertIds: o.alertId ? [o.alertId] : [], enrichment: o.enrichment, enrichmentAt: o.enrichmentAt, statusUpdate: o.statusUpdate, statusUpdateAt: o.statusUpdateAt });
      continue;
    }
    row.ids.push(o.id);
    if (o.alertId && !row.alertIds.includes(o.alertId)) row.alertIds.push(o.alertId);
    if (o.enrichment && newer(row.enrichmentAt, o.enrichmentAt) !== row.enrichmentAt) Object.assign(row, { enrichment: o.enrichment, enrichmentAt: o.enrichmentAt });
    if (o.statusUpdate && newer(row.statusUpdateAt, o.statusUpdateAt) !== row.statusUpdateAt) Object.assign(row, { statusUpdate: o.statusUpdate, statusUpdateAt: o.statusUpdateAt });
  }
  return [...rows.values()];
}

export function EnrichmentCell({ e, at }: { e: Enrichment | null; at: string | null }) {
  if (!e) return <Text size="xs" c="dimmed">not enriched</Text>;
  return (
    <Stack gap={2}>
      <Group gap={4}>
        {e.zone && <Badge color={ZONE_COLOR[String(e.zone).toLowerCase()] ?? 'gray'} size="sm" variant="filled">{e.zone}</Badge>}
        {e.verdict && <Text size="xs" fw={600}>{String(e.verdict)}</Text>}
      </Group>
      {Array.isArray(e.categories) && e.categories.length > 0 && <Text size="xs" c="dimmed" lineClamp={2}>{e.categories.join(', ')}</Text>}
      <Group gap={6}>
        <Text size="xs" c="dimmed">{e.source ? `${e.source} · ` : ''}{ago(at)}</Text>
        {e.portalUrl && <Anchor size="xs" href={String(e.portalUrl)} target="_blank" rel="noreferrer">portal</Anchor>}
      </Group>
    </Stack>
  );
}

/** The alerts a row came from, as links (incidents only). */
export function AlertLinks({ ids, alerts }: { ids: string[]; alerts: LinkedAlert[] }) {
  const named = alerts.filter((a) => ids.includes(a.id));
  if (!named.length) return <Text size="xs" c="dimmed">—</Text>;
  return (
    <Group gap={6}>
      {named.map((a) => <Anchor key={a.id} component={Link} to={`/t/${a.tenantId}/alerts/${a.id}`} size="xs" ff="monospace">{a.shortId}</Anchor>)}
    </Group>
  );
}

interface Props {
  item: ItemRef;
  observables: Observable[];
  /** An incident's linked alerts: adds the Alerts column and the incident's wording. */
  alerts?: LinkedAlert[];
}

/**
 * The Observables tab of an alert or an incident: the Enrichment and Status update columns, "Enrich
 * now" / "Refresh status" (all or the selected rows) through the item's enrich routes, and Respond…
 * on the selected rows through the launch API with the item recorded on the entries.
 */
export function ObservablesTab({ item, observables, alerts }: Props) {
  const perms = usePerms(item.tenantId);
  const qc = useQueryClient();
  const rows = groupObservables(observables);
  const [selected, setSelected] = useState<string[]>([]);
  const [launching, setLaunching] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const chosen = rows.filter((r) => selected.includes(r.key));
  // "Enrich now" fills the Enrichment column (spends quota unless cached); "Refresh status" asks
  // TIP Premium for the Status update column only, which spends none. Every stored copy of a selected
  // value is sent: the server looks each value up once and records it on all of them.
  const lookup = useMutation({
    mutationFn: (path: 'enrich' | 'refresh-status') =>
      api.post<{ items: { type: string; value: string; status: string; error?: { message: string } }[] }>(`${itemPath(item)}/${path}`, chosen.length ? { observableIds: chosen.flatMap((r) => r.ids) } : {}),
    onSuccess: (r, path) => {
      const done = path === 'enrich' ? 'enriched' : 'refreshed';
      const byValue = new Map(r.items.map((i) => [`${i.type}\u0000${i.value}`, i]));
      const results = [...byValue.values()];
      const failed = results.filter((i) => i.status !== 'ok');
      setNotice(failed.length ? `${results.length - failed.length} ${done}; ${failed.length} not: ${failed[0].error?.message ?? failed[0].status}` : `${results.length} observable(s) ${done}.`);
      // Results are recorded tenant-wide by type and value: other alerts and incidents showing them are stale too.
      void qc.invalidateQueries({ queryKey: ['alert', item.tenantId] });
      void qc.invalidateQueries({ queryKey: ['incident', item.tenantId] });
    },
  });
  const run = (path: 'enrich' | 'refresh-status') => { setNotice(null); lookup.mutate(path); };
  const toggle = (key: string) => setSelected((s) => (s.includes(key) ? s.filter((x) => x !== key) : [...s, key]));

  if (!rows.length) {
    return item.kind === 'alert'
      ? <Empty title="No observables" hint="This alert came without IPs, domains, hashes or other observables." />
      : alerts?.length
        ? <Empty title="No observables" hint="None of the linked alerts came with IPs, domains, hashes or other observables. Link related alerts that have some to see them here." />
        : <Empty title="No observables yet" hint="This incident has no alerts. Open an alert and choose “Link to incident…”: its observables show here." />;
  }
  const all = chosen.length === rows.length;
  return (
    <Stack>
      <Group>
        <GuardedButton size="sm" reason={perms.why('response.launch')} loading={lookup.isPending && lookup.variables === 'enrich'} disabled={lookup.isPending} onClick={() => run('enrich')}>
          {chosen.length ? `Enrich ${chosen.length} selected now` : 'Enrich now'}
        </GuardedButton>
        <GuardedButton size="sm" variant="default" reason={perms.why('response.launch')} loading={lookup.isPending && lookup.variables === 'refresh-status'} disabled={lookup.isPending} onClick={() => run('refresh-status')}>
          Refresh status (TIP Premium)
        </GuardedButton>
        <GuardedButton size="sm" variant="light" reason={perms.why('response.launch') ?? (chosen.length ? undefined : 'Select observables first')} onClick={() => setLaunching(true)}>
          Respond to {chosen.length || ''} selected…
        </GuardedButton>
        {notice && <Text size="sm" role="status">{notice}</Text>}
      </Group>
      {alerts && <Text size="xs" c="dimmed">The observables of the incident's {alerts.length} alert(s), one row per value; the Alerts column says which alerts have it.</Text>}
      <ErrorText error={lookup.error} />
      <Table verticalSpacing="xs" aria-label="Observables">
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={40}><Checkbox aria-label="Select all observables" checked={all} indeterminate={chosen.length > 0 && !all} onChange={() => setSelected(all ? [] : rows.map((r) => r.key))} /></Table.Th>
            <Table.Th>Type</Table.Th>
            <Table.Th>Value</Table.Th>
            {alerts && <Table.Th>Alerts</Table.Th>}
            <Table.Th>Enrichment</Table.Th>
            <Table.Th>Status update</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((o) => (
            <Table.Tr key={o.key}>
              <Table.Td><Checkbox aria-label={`Select ${o.value}`} checked={selected.includes(o.key)} onChange={() => toggle(o.key)} /></Table.Td>
              <Table.Td><Badge variant="outline" size="sm">{o.type}</Badge></Table.Td>
              <Table.Td><Text size="sm" ff="monospace" style={{ wordBreak: 'break-all' }}>{o.value}</Text></Table.Td>
              {alerts && <Table.Td><AlertLinks ids={o.alertIds} alerts={alerts} /></Table.Td>}
              <Table.Td><EnrichmentCell e={o.enrichment} at={o.enrichmentAt} /></Table.Td>
              <Table.Td>{o.statusUpdate ? <EnrichmentCell e={o.statusUpdate} at={o.statusUpdateAt} /> : <Text size="xs" c="dimmed">—</Text>}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {/* One target per value: an action on a value shared by several alerts runs once. */}
      <LaunchDialog tenantId={item.tenantId} opened={launching} onClose={() => setLaunching(false)} item={item} observableIds={chosen.map((r) => r.ids[0])}
        targets={chosen.map((r): LaunchTarget => ({ kind: `observable:${r.type}`, label: r.value }))} onLaunched={(n) => setNotice(`${n} action(s) launched: see the Response history tab.`)} />
    </Stack>
  );
}
