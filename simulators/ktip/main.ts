// Runs the TIP/OpenTIP simulator for the demo: `tsx simulators/ktip/main.ts [port] [latencyMs]`.
// Point a ktip integration's "API base URL" at the printed address.
import { startKtipSimulator } from './index.ts';

const sim = await startKtipSimulator({ port: Number(process.argv[2] ?? 8089), latencyMs: Number(process.argv[3] ?? 50) });
console.log(`Kaspersky TIP/OpenTIP simulator on ${sim.url} (values containing "malware" or "evil" are Red)`);
process.on('SIGINT', () => void sim.close().then(() => process.exit(0)));
process.on('SIGTERM', () => void sim.close().then(() => process.exit(0)));
