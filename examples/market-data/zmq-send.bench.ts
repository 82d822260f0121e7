import * as zmq from 'zeromq';

// `npx tsx examples/market-data/zmq-send.bench.ts`: why tick-publisher.ts sets `sendTimeout = 0` and
// does not await each send. Sends 300,000 two-frame messages on a PUB with a live SUB, three ways.

const N = 300_000;
const topic = 'tick.binance.BTCUSDT';
const payload = JSON.stringify({
  exchange: 'binance',
  symbol: 'BTCUSDT',
  type: 'trade',
  price: 65000.12,
  quantity: 0.01,
  volume24h: 0,
  exchangeTime: Date.now(),
  receivedTime: Date.now(),
});

async function run(label: string, options: { sendTimeout?: number }, fireAndForget: boolean): Promise<void> {
  const pub = new zmq.Publisher(options);
  await pub.bind('tcp://127.0.0.1:*');
  const sub = new zmq.Subscriber();
  sub.connect(pub.lastEndpoint as string);
  sub.subscribe('tick.');
  let received = 0;
  const reading = (async () => {
    for await (const _ of sub) received++;
  })().catch(() => undefined);
  await new Promise((r) => setTimeout(r, 300)); // slow joiner
  let ok = 0;
  let failed = 0;
  const onOk = (): void => {
    ok++;
  };
  const onError = (): void => {
    failed++;
  };
  const t0 = performance.now();
  try {
    for (let i = 0; i < N; i++) {
      if (fireAndForget) pub.send([topic, payload]).then(onOk, onError);
      else {
        await pub.send([topic, payload]);
        ok++;
      }
    }
    await new Promise((r) => setImmediate(r));
    const ms = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 500));
    console.log(
      `${label}: ${Math.round((N / ms) * 1000)} msg/s queued (${ok} ok, ${failed} failed; SUB got ${received} — PUB drops past its HWM)`,
    );
  } catch (error) {
    console.log(`${label}: throws ${(error as Error & { code?: string }).code ?? ''} ${(error as Error).message}`);
  }
  pub.close();
  sub.close();
  await reading;
}

await run('default sendTimeout, await each send', {}, false);
await run('default sendTimeout, fire-and-forget', {}, true);
await run('sendTimeout 0, await each send', { sendTimeout: 0 }, false);
await run('sendTimeout 0, fire-and-forget (what the service does)', { sendTimeout: 0 }, true);
console.log(`node ${process.version}, zeromq 6.8.0, ${new Date().toISOString()}`);
