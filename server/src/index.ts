// The server as a library: start/stop a server in-process (tests, embedding).
export { ParleyServer, type Ports } from './server.ts';
export { loadConfig, configSchema, type Config, type ConfigInput } from './config.ts';
