// Runs the KATA simulator for the demo: `tsx simulators/kata/main.ts [port]`. It makes a throwaway
// CA and server certificate (printed: paste the CA into the connection's "Server CA certificate"),
// one sensor, and accepts every authorization request (a real KATA administrator would decide).
import { createTestCa } from '../../test/support/tls.ts';
import { startKataSimulator } from './index.ts';

const ca = await createTestCa('KATA simulator CA');
const sim = await startKataSimulator({
  tls: await ca.issue({ cn: 'localhost', dns: ['localhost'], ips: ['127.0.0.1'] }),
  port: Number(process.argv[2] ?? 8443),
  latencyMs: 20,
  autoApprove: true,
  sensors: [{ sensorId: '5b1e7c2a-0d4f-4c1e-9a51-3f0e2d7c9b10', hostName: 'ws-042.corp.example', ip: '10.1.2.42' }],
});
sim.addDetect({ importance: 'high', technology: 'sb', object: { md5: 'd41d8cd98f00b204e9800998ecf8427e', fileName: 'invoice.exe' }, detection: { name: 'HEUR:Trojan.Win32.Generic' }, details: { hostName: 'ws-042.corp.example', ip: '10.1.2.42', sensorId: '5b1e7c2a-0d4f-4c1e-9a51-3f0e2d7c9b10' } });
console.log(`KATA simulator on ${sim.url} (every authorization request is accepted)\nServer CA:\n${ca.cert}`);
process.on('SIGINT', () => void sim.close().then(() => process.exit(0)));
process.on('SIGTERM', () => void sim.close().then(() => process.exit(0)));
