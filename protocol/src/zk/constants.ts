// BN254 field orders. Kept dependency-free so the guest build of a zk declaration (which runs in the
// deterministic runtime) does not pull in viem.

/** BN254 scalar field order: every circuit signal is an integer below it. */
export const BN254_R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n
/** BN254 base field order: every proof and key coordinate is an integer below it. */
export const BN254_Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n
