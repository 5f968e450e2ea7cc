// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

/// @notice A zk function's verifier as `NexusInbox` sees it: an adapter in front of a snarkjs
///         Groth16 verifier that knows how the circuit's public signals commit to input and output.
interface INexusZkVerifier {
    /// @return true iff `proof` shows the circuit maps the input with `inputHash` to the output with `outputHash`.
    function verifyZk(bytes32 inputHash, bytes32 outputHash, bytes calldata proof) external view returns (bool);
}
