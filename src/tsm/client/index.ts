/** tsm/client: the HTTP API client (TsmClient) for integrators, the fleet, the demo and the benchmarks. */
export { TsmClient, type TsmClientOptions, type ApiJob, type ApiInstance } from './tsm-client.ts';
