export {
  defineConfig,
  configDefaults,
  defaultThreshold,
  type NexusConfig,
  type ChainConfig,
  type ContractConfig,
  type StorageConfig,
  type FunctionLimits,
} from './define.ts'
