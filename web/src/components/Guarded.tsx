import { Button, Tooltip, type ButtonProps } from '@mantine/core';
import type { ReactNode } from 'react';

/** A button that is disabled, with the reason in a tooltip and as its accessible description, when the user may not use it. */
export function GuardedButton({ reason, children, onClick, ...props }: ButtonProps & { reason?: string; onClick?: () => void; children: ReactNode; type?: 'button' | 'submit' }) {
  if (!reason) return <Button onClick={onClick} {...props}>{children}</Button>;
  return (
    <Tooltip label={reason} multiline w={280} withArrow>
      <Button {...props} data-disabled aria-disabled title={reason} onClick={(e) => e.preventDefault()}>
        {children}
      </Button>
    </Tooltip>
  );
}
