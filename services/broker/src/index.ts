export { type Broker, startBroker } from './broker.ts'
export { type BrokerConfig, loadConfig } from './config.ts'
