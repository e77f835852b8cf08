import { Button, Group, Modal, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, fieldOf, type ManagedUser } from '../api.ts';
import { ErrorText } from './States.tsx';

interface Props { tenantId: string; user: ManagedUser; self: boolean; onClose: () => void; onSaved: (user: ManagedUser, passwordSet: boolean) => void }

/**
 * Edit a user's display name and e-mail, or set a new password for them (an administrator's reset:
 * it ends their sessions). Only changed fields are sent; the server's messages show at the field.
 * On your own account the password is set on My account, with your current one (the API refuses it here).
 */
export function EditUserDialog({ tenantId, user, self, onClose, onSaved }: Props) {
  const qc = useQueryClient();
  const [displayName, setDisplayName] = useState(user.displayName);
  const [email, setEmail] = useState(user.email ?? '');
  const [password, setPassword] = useState('');
  const body: Record<string, unknown> = {};
  if (displayName.trim() !== user.displayName) body.displayName = displayName.trim();
  if (email.trim() !== (user.email ?? '')) body.email = email.trim() || null;
  if (password) body.password = password;
  const changed = Object.keys(body).length > 0;
  const save = useMutation({
    mutationFn: () => api.patch<ManagedUser>(`/tenants/${tenantId}/users/${user.id}`, body),
    onSuccess: (u) => {
      void qc.invalidateQueries({ queryKey: ['users', tenantId] });
      if (self) void qc.invalidateQueries({ queryKey: ['me'] });
      onSaved(u, !!password);
      onClose();
    },
  });
  const field = fieldOf(save.error);
  const err = (name: string) => (field === name ? (save.error as Error).message : undefined);

  return (
    <Modal opened onClose={onClose} title={`Edit ${user.username}`}>
      <Stack component="form" onSubmit={(e) => { e.preventDefault(); if (changed) save.mutate(); }}>
        <TextInput label="User name" value={user.username} readOnly disabled description="The sign-in name does not change" />
        <TextInput label="Display name" required data-autofocus value={displayName} onChange={(e) => setDisplayName(e.currentTarget.value)} error={err('displayName')} />
        <TextInput label="E-mail" type="email" placeholder="none" value={email} onChange={(e) => setEmail(e.currentTarget.value)} error={err('email')} />
        {self ? (
          <Text size="sm" c="dimmed">This is your own account: change your password on My account (it asks for your current one).</Text>
        ) : (
          <PasswordInput label="New password" autoComplete="new-password" placeholder="Leave empty to keep the current one"
            description="At least 12 characters. Setting one ends their sessions; tell them the new password another way."
            value={password} onChange={(e) => setPassword(e.currentTarget.value)} error={err('password')} />
        )}
        {!(field && ['displayName', 'email', 'password'].includes(field)) && <ErrorText error={save.error} />}
        <Group justify="end">
          <Button variant="default" onClick={onClose}>Cancel</Button>
          <Button type="submit" loading={save.isPending} disabled={!changed || !displayName.trim()}>Save changes</Button>
        </Group>
      </Stack>
    </Modal>
  );
}
