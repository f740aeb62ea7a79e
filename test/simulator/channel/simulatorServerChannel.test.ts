import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HttpClient } from '../../../src/http/httpClient';
import { loadOrCreateDevCertificates } from '../../../src/simulator/certs';
import type { DevCertificates } from '../../../src/simulator/certs';
import { startSimulatorServer } from '../../../src/simulator/simulatorServer';
import { botFrameworkToken } from '../entra/entraTestClient';
import { BOT, testSeeds } from '../entra/entraTestSeeds';

describe('simulator server: the optional channel emulator', () => {
  let certificates: DevCertificates;
  let certificateDir: string;

  before(() => {
    certificateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'soc-bot-channel-certs-'));
    certificates = loadOrCreateDevCertificates({ dir: certificateDir });
  });
  after(() => fs.rmSync(certificateDir, { recursive: true, force: true }));

  it('starts no channel emulator unless asked', async () => {
    const simulator = await startSimulatorServer({ seeds: testSeeds(), port: 0, certificates });
    try {
      assert.equal(simulator.channel, undefined);
    } finally {
      await simulator.close();
    }
  });

  it('starts one on plain HTTP that accepts the bot’s token from the same Entra emulator', async () => {
    const simulator = await startSimulatorServer({
      seeds: testSeeds(),
      port: 0,
      certificates,
      channel: { botAppId: BOT.clientId },
    });
    const http = new HttpClient({ extraCaPem: [certificates.caCertPem] });
    try {
      const channel = simulator.channel;
      assert.ok(channel);
      assert.match(channel.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.notEqual(channel.port, simulator.port);
      const token = await botFrameworkToken(http, simulator.url, BOT);
      const sent = await http.request({
        method: 'POST',
        url: `${channel.serviceUrl}v3/conversations/${encodeURIComponent('a:1chat')}/activities`,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ type: 'message', text: 'proactive' }),
      });
      assert.equal(sent.status, 201);
      assert.equal(channel.sent()[0]?.activity.text, 'proactive');
    } finally {
      http.close();
      await simulator.close();
    }
  });
});
