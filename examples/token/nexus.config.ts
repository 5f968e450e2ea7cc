// The token example's project configuration: one local chain (anvil, started by `nexus dev`) and
// one ERC-20 contract whose Transfer events the handlers index.
import { erc20Abi } from 'viem'
import { defineConfig } from '@nexus/framework/decorators'

export default defineConfig({
  name: 'token',
  chains: {
    // `nexus dev` starts anvil (--hardfork prague) on 127.0.0.1:8545 when a chain is named devnet.
    devnet: { chainId: 31337, finality: { confirmations: 2 } },
  },
  contracts: {
    Token: {
      chain: 'devnet',
      // The first contract deployed by anvil's account 0 on a fresh chain lands at this address.
      address: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
      abi: erc20Abi,
      startBlock: 0,
    },
  },
  replicas: 4,
  threshold: 3,
})
