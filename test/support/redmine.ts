import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { peerMissing } from './peers.ts';

/**
 * A real Redmine for tests: Debian's redmine 5.0.4 package (sqlite3 instance "default"), started
 * with WEBrick on a free loopback port (reference/dependencies.md §2(e)). Boot takes ~10 s, so a
 * test file starts it once in `before` and stops it (by PID) in `after`.
 *
 * The package's SQLite database persists across runs and machines' test files, so every start
 * creates its own project with a unique identifier and tests must not depend on earlier data.
 */

const run = promisify(execFile);
const REDMINE_DIR = '/usr/share/redmine';
const RAILS = path.join(REDMINE_DIR, 'bin/rails');
const GEMFILE_LOCAL = path.join(REDMINE_DIR, 'Gemfile.local');
const RAILS_ENV = { ...process.env, RAILS_ENV: 'production', X_DEBIAN_SITEID: 'default' };
/** The custom field tests use to carry the xdrhub id (created once, reused afterwards). */
export const XDRHUB_FIELD_NAME = 'xdrhub ID';

export interface RedmineServer {
  url: string;
  /** The admin's REST API key. */
  apiKey: string;
  /** Identifier of the project created for this start. */
  project: string;
  /** Id of the "xdrhub ID" issue custom field (a filterable string field for all projects). */
  customFieldId: number;
  pid: number;
  /** The server's output (useful when a test fails). */
  logFile: string;
  /** Creates one more project with a unique identifier; returns its identifier. */
  createProject(prefix?: string): Promise<string>;
  /** A REST call as the admin. */
  api(method: string, urlPath: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** Runs Ruby in the Redmine application (≈4 s). */
  railsRunner(code: string): Promise<string>;
  stop(): Promise<void>;
}

/** Why real-Redmine tests cannot run here, or undefined when they can. */
export function redmineUnavailable(): string | undefined {
  return peerMissing(whyRedmineUnavailable());
}

function whyRedmineUnavailable(): string | undefined {
  if (!fs.existsSync(RAILS)) return 'Redmine is not installed (apt-get install redmine redmine-sqlite ruby-webrick; see reference/dependencies.md §2(e))';
  if (!hasWebrickGem()) return 'ruby-webrick is not installed (apt-get install ruby-webrick)';
  if (process.getuid?.() !== 0) {
    try {
      fs.accessSync(GEMFILE_LOCAL, fs.constants.R_OK);
    } catch {
      return `${GEMFILE_LOCAL} is missing and only root can create it: echo 'gem "webrick"' > ${GEMFILE_LOCAL}`;
    }
  }
  return undefined;
}

function hasWebrickGem(): boolean {
  try {
    return fs.readdirSync('/usr/share/rubygems-integration/all/specifications').some((f) => f.startsWith('webrick'));
  } catch {
    return false;
  }
}

/** WEBrick is no longer a default gem in Ruby 3: Rails only loads it when the Gemfile names it. */
function ensureGemfileLocal(): void {
  const line = 'gem "webrick"';
  const current = fs.existsSync(GEMFILE_LOCAL) ? fs.readFileSync(GEMFILE_LOCAL, 'utf8') : '';
  if (!current.includes(line)) fs.writeFileSync(GEMFILE_LOCAL, `${current}${current && !current.endsWith('\n') ? '\n' : ''}${line}\n`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function railsRunner(code: string): Promise<string> {
  const { stdout } = await run(RAILS, ['runner', code], { cwd: REDMINE_DIR, env: RAILS_ENV, timeout: 120_000, maxBuffer: 4 * 1024 * 1024 });
  return stdout;
}

/**
 * Enables the REST API, makes sure the admin may log in without a forced password change, and
 * creates the custom field used for the xdrhub id. Prints one JSON line.
 */
const SETUP_RUBY = `
Setting.rest_api_enabled = "1"
u = User.find_by_login("admin")
u.update!(must_change_passwd: false) if u.must_change_passwd
key = u.api_key
cf = IssueCustomField.find_by(name: ${JSON.stringify(XDRHUB_FIELD_NAME)})
unless cf
  cf = IssueCustomField.new(name: ${JSON.stringify(XDRHUB_FIELD_NAME)}, field_format: "string", is_for_all: true, is_filter: true, searchable: true, visible: true)
  cf.tracker_ids = Tracker.pluck(:id)
  cf.save!
end
puts "XDRHUB_SETUP " + { apiKey: key, customFieldId: cf.id }.to_json
`;

async function waitForHttp(url: string, child: ChildProcess, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Redmine exited (${child.exitCode}) while starting:\n${tail(logFile)}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`Redmine did not answer within ${timeoutMs / 1000} s:\n${tail(logFile)}`);
}

function tail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '(no log)';
  }
}

export async function startRedmine(): Promise<RedmineServer> {
  const reason = redmineUnavailable();
  if (reason) throw new Error(reason);
  ensureGemfileLocal();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdrhub-redmine-'));
  const logFile = path.join(dir, 'server.log');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;

  // The setup runner and the server boot in parallel: both take seconds, neither needs the other.
  const setup = railsRunner(SETUP_RUBY);
  const out = fs.openSync(logFile, 'a');
  const child = spawn(RAILS, ['server', '-u', 'webrick', '-b', '127.0.0.1', '-p', String(port), '-P', path.join(dir, 'server.pid')], {
    cwd: REDMINE_DIR,
    env: RAILS_ENV,
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return fs.rmSync(dir, { recursive: true, force: true });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    process.kill(child.pid!, 'SIGTERM');
    const timer = setTimeout(() => child.exitCode === null && child.signalCode === null && process.kill(child.pid!, 'SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
    fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    const [setupOut] = await Promise.all([setup, waitForHttp(`${url}/`, child, logFile, 90_000)]);
    const line = setupOut.split('\n').find((l) => l.startsWith('XDRHUB_SETUP '));
    if (!line) throw new Error(`the Redmine setup printed no result:\n${setupOut}`);
    const { apiKey, customFieldId } = JSON.parse(line.slice('XDRHUB_SETUP '.length)) as { apiKey: string; customFieldId: number };

    const api: RedmineServer['api'] = async (method, urlPath, body) => {
      const res = await fetch(`${url}${urlPath}`, {
        method,
        headers: { 'x-redmine-api-key': apiKey, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // not JSON
      }
      return { status: res.status, body: parsed };
    };
    const createProject = async (prefix = 'xdrhub') => {
      // Identifiers: lowercase letters, digits, dashes; unique per run since the database persists.
      const identifier = `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
      const res = await api('POST', '/projects.json', { project: { name: identifier, identifier, is_public: false } });
      if (res.status !== 201) throw new Error(`creating the Redmine project failed: HTTP ${res.status} ${JSON.stringify(res.body)}`);
      return identifier;
    };
    const project = await createProject();
    return { url, apiKey, project, customFieldId, pid: child.pid!, logFile, createProject, api, railsRunner, stop };
  } catch (err) {
    const log = tail(logFile);
    await stop();
    throw Object.assign(err as Error, { serverLog: log });
  }
}
