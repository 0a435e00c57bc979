// Preloaded with NODE_OPTIONS=--require by test/deploy.test.ts: prints the node flags the process got.
process.stderr.write(`execArgv ${JSON.stringify(process.execArgv)}\n`);
