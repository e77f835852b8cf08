import { Badge } from '@mantine/core';
import { SEVERITY_COLOR, STATUS_COLOR, words } from '../format.ts';

export const SeverityBadge = ({ value }: { value: string }) => <Badge color={SEVERITY_COLOR[value] ?? 'gray'} variant="filled" size="sm">{value}</Badge>;
export const StatusBadge = ({ value }: { value: string }) => <Badge color={STATUS_COLOR[value] ?? 'gray'} variant="light" size="sm">{words(value)}</Badge>;
