import 'reflect-metadata';
import { Command, Option } from 'commander';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { buildApp, VERSION, type App } from './app.ts';
import { createLogger } from './platform/log/index.ts';
import { openDatabase } from './platform/db/index.ts';
import { migrate } from './platform/db/migrations.ts';
import { ALL_MIGRATIONS } from './app.ts';
import { SYSTEM_ACTOR } from './platform/actor.ts';
import { rotateKey, retireKeys } from './platform/secrets/index.ts';
import { auditVerifyCommand } from './platform/audit/index.ts';
import { isRole, type Role } from './access/permissions.ts';

const program = new Command('xdrhub').version(VERSION).description('Multi-tenant XDR integration and response hub');

function config(overrides: Partial<Config> = {}): Config {
  return loadConfig(process.env, overrides);
}

/** Builds the app for a one-off command: migrations run, Root/Shared exist, no listener. */
async function withApp<T>(fn: (app: App) => Promise<T>): Promise<T> {
  const app = await buildApp(config({ logLevel: process.env.XDRHUB_LOG_LEVEL || 'warn' }));
  try {
    await app.bootstrap();
    return await fn(app);
  } finally {
    await app.close();
  }
}

program
  .command('serve')
  .description('Run the server (API and job worker by default)')
  .addOption(new Option('--role <role>', 'what this process runs').choices(['all', 'api', 'worker']))
  .option('--port <port>', 'listen port (XDRHUB_PORT)')
  .action(async (opts: { role?: 'all' | 'api' | 'worker'; port?: string }) => {
    const cfg = config({ ...(opts.role ? { role: opts.role } : {}), ...(opts.port ? { port: Number(opts.port) } : {}) });
    const app = await buildApp(cfg);
    const boot = await app.bootstrap();
    if (boot.adminCreated && boot.adminPassword) {
      // Printed once, to the terminal only (not through the logger).
      process.stdout.write(
        `\n  First Main administrator created.\n    user name: ${cfg.adminUsername}\n    password:  ${boot.adminPassword}\n  It is shown only this once: sign in and keep it safe.\n\n`,
      );
    } else if (boot.adminCreated) {
      process.stdout.write(`\n  First Main administrator "${cfg.adminUsername}" created with the password from XDRHUB_ADMIN_PASSWORD.\n\n`);
    }
    if (cfg.role !== 'api') await app.startWorker();
    if (cfg.role !== 'worker') {
      const address = await app.http.listen({ host: cfg.host, port: cfg.port });
      app.logger.info({ address, database: app.services.database.location, role: cfg.role }, 'xdrhub listening');
      process.stdout.write(`xdrhub ${VERSION} listening on ${address} (API docs: ${address}/api/docs)\n`);
    } else {
      app.logger.info({ role: cfg.role }, 'xdrhub worker started');
    }
    let closing = false;
    const shutdown = async (signal: string) => {
      if (closing) return;
      closing = true;
      app.logger.info({ signal }, 'shutting down');
      await app.close();
      process.exit(0);
    };
    process.on('SIGINT', () => void shutdown('SIGINT'));
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
  });

program
  .command('migrate')
  .description('Apply database migrations and exit')
  .action(async () => {
    const cfg = config();
    const database = await openDatabase({ url: cfg.databaseUrl, dataDir: cfg.dataDir });
    const applied = await migrate(database, ALL_MIGRATIONS);
    await database.close();
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
  });

const user = program.command('user').description('Manage users');
user
  .command('create <username>')
  .description('Create a user on a tenant (default Root) with optional roles; prints a generated password once')
  .option('--tenant <id>', 'home tenant id (default: Root)')
  .option('--role <role...>', 'roles to grant on that tenant')
  .option('--password-env <var>', 'read the password from this environment variable')
  .action(async (username: string, opts: { tenant?: string; role?: string[]; passwordEnv?: string }) => {
    await withApp(async (app) => {
      const { tenants, access } = app.services;
      const tenant = opts.tenant ? await tenants.get(opts.tenant) : await tenants.root();
      for (const r of opts.role ?? []) if (!isRole(r)) throw new ConfigError(`unknown role ${r}`);
      const password = opts.passwordEnv ? process.env[opts.passwordEnv] : undefined;
      const { user: created, generatedPassword } = await access.createUser(tenant, { username, password }, SYSTEM_ACTOR);
      for (const r of opts.role ?? []) await access.grantAsSystem(created.id, tenant.id, r as Role);
      console.log(`created ${created.username} (${created.id}) on ${tenant.name}`);
      if (generatedPassword) console.log(`password (shown once): ${generatedPassword}`);
    });
  });
user
  .command('reset-password <username>')
  .description('Set a new random password for a user and end their sessions (prints it once)')
  .action(async (username: string) => {
    await withApp(async (app) => {
      const password = await app.services.access.resetPasswordAsSystem(username);
      console.log(`new password for ${username} (shown once): ${password}`);
    });
  });

const tenant = program.command('tenant').description('Manage tenants');
tenant
  .command('list')
  .description('Print the tenant tree')
  .action(async () => {
    await withApp(async (app) => {
      const root = await app.services.tenants.root();
      for (const t of await app.services.tenants.subtree(root.id)) console.log(`${'  '.repeat(t.depth)}${t.name}  ${t.id}  (${t.kind})`);
    });
  });
tenant
  .command('create <name>')
  .description('Create a tenant under a parent (default Root)')
  .option('--parent <id>', 'parent tenant id')
  .action(async (name: string, opts: { parent?: string }) => {
    await withApp(async (app) => {
      const parentId = opts.parent ?? (await app.services.tenants.root()).id;
      const t = await app.services.tenants.create({ parentId, name }, SYSTEM_ACTOR);
      console.log(`created ${t.name} ${t.id}`);
    });
  });

const secrets = program.command('secrets').description('Master key and encrypted secrets');
secrets
  .command('rotate-key')
  .description('Generate a new master key and re-encrypt every secret under it (safe while servers run)')
  .action(async () => {
    const cfg = config();
    const database = await openDatabase({ url: cfg.databaseUrl, dataDir: cfg.dataDir });
    try {
      await migrate(database, ALL_MIGRATIONS);
      const report = await rotateKey({ database, dataDir: cfg.dataDir, env: process.env });
      console.log(JSON.stringify(report, null, 2));
    } finally {
      await database.close();
    }
  });
secrets
  .command('retire-keys')
  .description('Remove old master keys that no ciphertext uses any more')
  .action(async () => {
    const cfg = config();
    const database = await openDatabase({ url: cfg.databaseUrl, dataDir: cfg.dataDir });
    try {
      const report = await retireKeys({ database, dataDir: cfg.dataDir, env: process.env });
      console.log(JSON.stringify(report, null, 2));
    } finally {
      await database.close();
    }
  });

program
  .command('audit')
  .description('Audit log tools')
  .command('verify')
  .description('Verify the hash chain of the audit log; exit code 1 when it was altered')
  .action(async () => {
    const cfg = config();
    const database = await openDatabase({ url: cfg.databaseUrl, dataDir: cfg.dataDir });
    try {
      process.exitCode = await auditVerifyCommand(database);
    } finally {
      await database.close();
    }
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error(`configuration error: ${err.message}`);
  } else {
    createLogger('error').error({ err: { message: (err as Error).message, stack: (err as Error).stack } }, 'command failed');
    console.error(`error: ${(err as Error).message}`);
  }
  process.exit(1);
});
