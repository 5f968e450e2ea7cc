export { defineConfig, configDefaults, defaultThreshold, type NexusConfig, type ChainConfig, type ContractConfig, type StorageConfig } from './define.ts'
