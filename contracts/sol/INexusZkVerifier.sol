// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

/// @notice A zk function's verifier as `NexusInbox` sees it: an adapter in front of a snarkjs
///         Groth16 verifier that knows how the circuit's public signals encode input and output.
interface INexusZkVerifier {
    /// @return true iff `proof` shows the circuit maps `input` to `output` (both as the inbox saw them).
    function verifyZk(bytes calldata input, bytes calldata output, bytes calldata proof) external view returns (bool);
}
