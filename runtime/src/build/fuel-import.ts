/** Where the host provides the shared fuel counter every metered module imports. */
export const FUEL_IMPORT = { module: 'nexus:fuel', name: 'fuel' } as const
