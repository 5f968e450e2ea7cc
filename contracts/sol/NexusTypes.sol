// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

/// @notice Every field of a result digest (docs/protocol.md §1), in digest order.
/// @dev `functionIdHash` = keccak256(utf8(gateway function id)) for a protocol-v2 result, or zero
///      for a protocol-v1 result (which does not bind its function; no v2 id hashes to zero).
struct NexusResult {
    uint256 chainId;
    address verifier;
    bytes32 functionIdHash;
    bytes32 codeHash;
    uint64 seq;
    bytes32 inputHash;
    uint8 status;
    bytes32 outputHash;
    bytes32 stateRootBefore;
    bytes32 stateRootAfter;
    uint64 fuelUsed;
}

/// @notice Inclusion of one result digest in an attested Merkle root (docs/protocol.md §4).
struct BatchProof {
    bytes32 root;
    uint256 index;
    uint256 size;
    bytes32[] siblings;
}

/// @notice The named reasons a Nexus attestation is rejected on-chain.
interface INexusErrors {
    /// A signature is not 128 bytes (EIP-2537 uncompressed G1) or a key not 256 bytes (G2).
    error InvalidPointLength(uint256 length);
    /// Coordinates not < p, padding bytes set, not on the curve, or the point at infinity.
    error MalformedPoint();
    /// On the curve but outside the prime-order subgroup.
    error PointNotInSubgroup();
    /// Well-formed points, but the pairing check fails (wrong key, wrong message, t-1 shares...).
    error InvalidSignature();
    /// `status` above 3 (docs/protocol.md §1 range rule).
    error InvalidStatus(uint8 status);
    /// A result bound to another chain or another verifier deployment.
    error WrongChain(uint256 chainId);
    error WrongVerifier(address verifier);
    /// Batch root never attested to this verifier.
    error UnknownBatchRoot(bytes32 root);
    /// `index >= size`, size 0, unused or missing siblings, or a path that does not reach the root.
    error InvalidBatchProof();
    /// A precompile that cannot fail on valid input failed (wrong fork?).
    error PrecompileFailed(uint256 precompile);
    /// Writing the new key's data contract failed.
    error KeyStoreDeployFailed();
}
