import { Alert, Badge, Button, Code, CopyButton, Group, Modal, Paper, PasswordInput, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, fieldOf, type ApiToken } from '../api.ts';
import { ago, when } from '../format.ts';
import { flattenTree, useMe, useTenants } from '../session.ts';
import { Empty, ErrorText, Failed, Loading } from '../components/States.tsx';

/** My account: who you are, your own password (with the current one) and your personal API tokens. */
export function AccountPage() {
  const me = useMe();
  const all = flattenTree(useTenants().data ?? []);
  if (me.isLoading) return <Loading what="your account" />;
  if (me.error || !me.data) return <Failed what="your account" error={me.error} retry={() => me.refetch()} />;
  const u = me.data.user;
  return (
    <Stack maw={960}>
      <div>
        <Title order={2}>My account</Title>
        <Text size="sm" c="dimmed">
          Signed in as <Text span ff="monospace">{u.username}</Text> ({u.displayName}{u.email ? `, ${u.email}` : ''}), homed in {all.find((t) => t.id === u.tenantId)?.name ?? 'a tenant'}.
          An administrator changes your name, e-mail and roles on Settings → Users.
        </Text>
      </div>
      <PasswordSection />
      <TokensSection />
    </Stack>
  );
}

function PasswordSection() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [done, setDone] = useState(false);
  const change = useMutation({
    mutationFn: () => api.post('/me/password', { currentPassword: current, newPassword: next }),
    onSuccess: () => { setCurrent(''); setNext(''); setRepeat(''); setDone(true); },
  });
  const field = fieldOf(change.error);
  const err = (name: string) => (field === name ? (change.error as Error).message : undefined);
  const mismatch = repeat !== '' && repeat !== next ? 'does not match the new password' : undefined;
  return (
    <Paper withBorder p="md">
      <Stack component="form" gap="sm" maw={420} aria-label="Change your password"
        onSubmit={(e) => { e.preventDefault(); if (!mismatch) { setDone(false); change.mutate(); } }}>
        <Title order={4}>Password</Title>
        <PasswordInput label="Current password" required autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.currentTarget.value)} error={err('currentPassword')} />
        <PasswordInput label="New password" description="At least 12 characters" required autoComplete="new-password" value={next} onChange={(e) => setNext(e.currentTarget.value)} error={err('newPassword')} />
        <PasswordInput label="Repeat the new password" required autoComplete="new-password" value={repeat} onChange={(e) => setRepeat(e.currentTarget.value)} error={mismatch} />
        {!(field === 'currentPassword' || field === 'newPassword') && <ErrorText error={change.error} />}
        {done && <Text size="sm" c="green" role="status">Password changed. Your other sessions were signed out; this one stays.</Text>}
        <Group>
          <Button type="submit" loading={change.isPending} disabled={!current || !next || !repeat || !!mismatch}>Change password</Button>
        </Group>
      </Stack>
    </Paper>
  );
}

const EXPIRY = [
  { value: '7', label: '7 days' },
  { value: '30', label: '30 days' },
  { value: '90', label: '90 days' },
  { value: '180', label: '180 days' },
  { value: '365', label: '1 year (the longest)' },
];

function tokenState(t: ApiToken): { label: string; color: string } {
  if (t.revokedAt) return { label: 'Revoked', color: 'gray' };
  if (new Date(t.expiresAt).getTime() <= Date.now()) return { label: 'Expired', color: 'orange' };
  return { label: 'Active', color: 'green' };
}

function TokensSection() {
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [days, setDays] = useState<string | null>('90');
  const [fresh, setFresh] = useState<{ token: string; name: string; expiresAt: string } | null>(null);
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  const list = useQuery({ queryKey: ['me', 'tokens'], queryFn: () => api.get<{ items: ApiToken[] }>('/me/tokens').then((r) => r.items) });
  const create = useMutation({
    mutationFn: () => api.post<{ token: string; id: string; name: string; expiresAt: string }>('/me/tokens', { name: name.trim(), expiresInDays: Number(days ?? 90) }),
    onSuccess: (r) => { setFresh(r); setName(''); void qc.invalidateQueries({ queryKey: ['me', 'tokens'] }); },
  });
  const revoke = useMutation({
    mutationFn: (t: ApiToken) => api.del(`/me/tokens/${t.id}`),
    onSuccess: () => { setRevoking(null); void qc.invalidateQueries({ queryKey: ['me', 'tokens'] }); },
  });
  const field = fieldOf(create.error);
  const err = (n: string) => (field === n ? (create.error as Error).message : undefined);

  return (
    <Paper withBorder p="md">
      <Stack gap="sm">
        <div>
          <Title order={4}>Personal API tokens</Title>
          <Text size="sm" c="dimmed">For scripts and integrations: send <Code>Authorization: Bearer &lt;token&gt;</Code>. A token acts as you, with your roles; xdrhub stores only its hash.</Text>
        </div>

        {fresh ? (
          <Alert color="yellow" title={`Token "${fresh.name}" created — copy it now`} role="alert">
            <Stack gap="xs">
              <Text size="sm" fw={600}>You will not see it again: xdrhub keeps only its hash. If you lose it, revoke it and create another.</Text>
              <Group gap="xs" wrap="nowrap">
                <Code block style={{ flex: 1, wordBreak: 'break-all', whiteSpace: 'pre-wrap' }} aria-label="New token value" data-testid="new-token">{fresh.token}</Code>
                <CopyButton value={fresh.token}>
                  {({ copied, copy }) => <Button size="xs" variant={copied ? 'filled' : 'light'} color={copied ? 'teal' : undefined} onClick={copy}>{copied ? 'Copied' : 'Copy'}</Button>}
                </CopyButton>
              </Group>
              <Text size="xs" c="dimmed">Expires {when(fresh.expiresAt)}.</Text>
              <Group><Button size="xs" variant="default" onClick={() => setFresh(null)}>I have stored it</Button></Group>
            </Stack>
          </Alert>
        ) : (
          <Group component="form" align="flex-start" gap="sm" aria-label="Create a token" onSubmit={(e) => { e.preventDefault(); create.mutate(); }}>
            <TextInput label="Token name" placeholder="e.g. nightly export script" required maxLength={100} w={300} value={name} onChange={(e) => setName(e.currentTarget.value)} error={err('name')} />
            <Select label="Expires in" data={EXPIRY} value={days} onChange={setDays} allowDeselect={false} w={200} error={err('expiresInDays')} />
            <Button type="submit" mt={25} loading={create.isPending} disabled={!name.trim()}>Create token</Button>
          </Group>
        )}
        {!(field === 'name' || field === 'expiresInDays') && <ErrorText error={create.error} />}

        {list.isLoading ? (
          <Loading what="your tokens" />
        ) : list.error ? (
          <Failed what="your tokens" error={list.error} retry={() => list.refetch()} />
        ) : !list.data?.length ? (
          <Empty title="No API tokens yet" hint="Create one above when a script needs to call the xdrhub API as you." />
        ) : (
          <Table verticalSpacing="xs" striped aria-label="Your API tokens">
            <Table.Thead>
              <Table.Tr><Table.Th>Name</Table.Th><Table.Th>Created</Table.Th><Table.Th>Expires</Table.Th><Table.Th>Last used</Table.Th><Table.Th>Status</Table.Th><Table.Th aria-label="Controls" /></Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.data.map((t) => {
                const state = tokenState(t);
                return (
                  <Table.Tr key={t.id}>
                    <Table.Td><Text size="sm">{t.name}</Text></Table.Td>
                    <Table.Td><Text size="sm">{when(t.createdAt)}</Text></Table.Td>
                    <Table.Td><Text size="sm">{when(t.expiresAt)}</Text></Table.Td>
                    <Table.Td><Text size="sm" title={when(t.lastUsedAt)}>{t.lastUsedAt ? ago(t.lastUsedAt) : 'never'}</Text></Table.Td>
                    <Table.Td><Badge size="sm" variant="light" color={state.color}>{state.label}</Badge>{t.revokedAt && <Text size="xs" c="dimmed">{when(t.revokedAt)}</Text>}</Table.Td>
                    <Table.Td>
                      {state.label === 'Active' && (
                        <Button size="xs" color="red" variant="subtle" onClick={() => { revoke.reset(); setRevoking(t); }} aria-label={`Revoke ${t.name}`}>Revoke…</Button>
                      )}
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        )}
      </Stack>
      <Modal opened={!!revoking} onClose={() => setRevoking(null)} title={`Revoke token "${revoking?.name ?? ''}"`}>
        <Stack>
          <Text size="sm">Anything still using this token gets 401 from its next request on. This cannot be undone; create a new token if you need one.</Text>
          <ErrorText error={revoke.error} />
          <Group justify="end">
            <Button variant="default" onClick={() => setRevoking(null)} data-autofocus>Cancel</Button>
            <Button color="red" loading={revoke.isPending} onClick={() => revoking && revoke.mutate(revoking)}>Revoke token</Button>
          </Group>
        </Stack>
      </Modal>
    </Paper>
  );
}
