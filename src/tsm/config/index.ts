/** tsm/config: the service's configuration (docs/service.md §6). Exported through src/tsm/index.ts. */
export { resolveConfig, isLoopback, DEFAULT_CONFIG, type ServiceConfig, type HsmConfig, type ConfigLayer } from './service-config.ts';
export { envLayer, fileLayer, readTls, CONFIG_ENV } from './sources.ts';
