export { loadKeyring, generateMasterKey, keyIdOf, KeyringError, KEY_FILE_NAME, type Keyring, type MasterKey, type LoadKeyringOptions } from './keyring.ts';
export { createVault, VaultError, type Vault, type SecretRef, type SecretDescription, type SecretsWithTimes, type RotateResult, type Executor } from './vault.ts';
export { vaultMigrations, type VaultTables, type SecretsTable } from './migrations.ts';
export { rotateKey, retireKeys, type RotateKeyReport, type RetireKeysReport, type KeyCommandOptions } from './commands.ts';
