import { Button, Group, Modal, PasswordInput, Select, Stack, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api, fieldOf, type ManagedUser } from '../api.ts';
import { useMe, useTenantInfo } from '../session.ts';
import { ErrorText } from './States.tsx';

interface Props { tenantId: string; opened: boolean; onClose: () => void; onCreated: (user: ManagedUser, generatedPassword?: string) => void }

/** A new user homed in this tenant, optionally with a first role on it; the server's validation messages show at the field. */
export function CreateUserDialog({ tenantId, opened, onClose, onCreated }: Props) {
  const qc = useQueryClient();
  const me = useMe();
  const info = useTenantInfo(tenantId);
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: () =>
      api.post<{ user: ManagedUser; generatedPassword?: string }>(`/tenants/${tenantId}/users`, {
        username: username.trim(),
        ...(displayName.trim() ? { displayName: displayName.trim() } : {}),
        ...(email.trim() ? { email: email.trim() } : {}),
        ...(password ? { password } : {}),
        ...(role ? { roles: [role] } : {}),
      }),
    onSuccess: (r) => {
      void qc.invalidateQueries({ queryKey: ['users', tenantId] });
      onCreated(r.user, r.generatedPassword);
      onClose();
    },
  });
  useEffect(() => {
    if (!opened) return;
    setUsername(''); setDisplayName(''); setEmail(''); setPassword(''); setRole(null);
    create.reset();
  }, [opened]);
  const field = fieldOf(create.error);
  const err = (name: string) => (field === name ? (create.error as Error).message : undefined);
  const roles = (me.data?.roles ?? []).filter((r) => r.id !== 'main' || info.data?.tenant.kind === 'root');

  return (
    <Modal opened={opened} onClose={onClose} title={`New user in ${info.data?.tenant.name ?? 'this tenant'}`}>
      <Stack component="form" onSubmit={(e) => { e.preventDefault(); create.mutate(); }}>
        <TextInput label="User name" description="Used to sign in: letters, digits, dot, underscore, @ or hyphen" required data-autofocus autoComplete="off"
          value={username} onChange={(e) => setUsername(e.currentTarget.value)} error={err('username')} />
        <TextInput label="Display name" placeholder="Defaults to the user name" value={displayName} onChange={(e) => setDisplayName(e.currentTarget.value)} error={err('displayName')} />
        <TextInput label="E-mail" type="email" value={email} onChange={(e) => setEmail(e.currentTarget.value)} error={err('email')} />
        <PasswordInput label="Password" description="At least 12 characters. Leave empty to have one generated and shown once." autoComplete="new-password"
          value={password} onChange={(e) => setPassword(e.currentTarget.value)} error={err('password')} />
        <Select label="Role on this tenant" placeholder="None for now (add roles later)" clearable
          description="Applies to this tenant and its descendants; roles on a customer below can be given after creating"
          data={roles.map((r) => ({ value: r.id, label: r.title }))} value={role} onChange={setRole} error={err('role') ?? err('roles')} />
        {!field && <ErrorText error={create.error} />}
        <Group justify="end">
          <Button variant="default" onClick={onClose}>Cancel</Button>
          <Button type="submit" loading={create.isPending} disabled={!username.trim()}>Create user</Button>
        </Group>
      </Stack>
    </Modal>
  );
}
