// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {INexusZkVerifier} from "../INexusZkVerifier.sol";

/// @title NexusGroth16Adapter
/// @notice Puts any snarkjs-exported `Groth16Verifier` (`verifyProof(uint[2], uint[2][2], uint[2], uint[N])`)
///         behind `NexusInbox`. Encodings: request input = abi.encode(uint256[] publicInputs), output =
///         abi.encode(uint256[] publicOutputs), proof = abi.encode(uint256[2] a, uint256[2][2] b, uint256[2] c);
///         the public signals are outputs then inputs (circom order), N = nOutputs + nInputs.
contract NexusGroth16Adapter is INexusZkVerifier {
    address public immutable groth16Verifier;
    uint256 public immutable nOutputs;
    uint256 public immutable nInputs;
    bytes4 public immutable selector;

    constructor(address groth16Verifier_, uint256 nOutputs_, uint256 nInputs_) {
        groth16Verifier = groth16Verifier_;
        nOutputs = nOutputs_;
        nInputs = nInputs_;
        selector = bytes4(
            keccak256(
                abi.encodePacked(
                    "verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[", _toString(nOutputs_ + nInputs_), "])"
                )
            )
        );
    }

    function verifyZk(bytes calldata input, bytes calldata output, bytes calldata proof) external view returns (bool) {
        uint256[] memory inputs = abi.decode(input, (uint256[]));
        uint256[] memory outputs = abi.decode(output, (uint256[]));
        if (inputs.length != nInputs || outputs.length != nOutputs || proof.length != 8 * 32) return false;
        // uint[N] is static, so the call data is the selector followed by 8 + N words.
        bytes memory data = abi.encodePacked(selector, proof, outputs, inputs);
        (bool ok, bytes memory ret) = groth16Verifier.staticcall(data);
        return ok && ret.length == 32 && abi.decode(ret, (bool));
    }

    function _toString(uint256 v) private pure returns (bytes memory s) {
        if (v == 0) return "0";
        uint256 len;
        for (uint256 t = v; t != 0; t /= 10) len++;
        s = new bytes(len);
        for (; v != 0; v /= 10) s[--len] = bytes1(uint8(48 + (v % 10)));
    }
}
