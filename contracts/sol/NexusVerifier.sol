// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {BLS12381} from "./BLS12381.sol";
import {NexusResult, BatchProof, INexusErrors} from "./NexusTypes.sol";

/// @title NexusVerifier
/// @notice Verifies Nexus protocol-v2 (and v1) results attested by a t-of-n threshold BLS12-381 (min-sig)
///         network: recomputes the digest from the fields, hashes it to G1 on-chain and checks the
///         pairing against the group key held here. Also stores attested batch roots, and rotates the
///         group key on a rotation message signed under the current key.
/// @dev The group key lives in the code of a tiny data contract (written once per rotation), so a
///      verification reads it with one EXTCODECOPY instead of eight cold SLOADs.
contract NexusVerifier is INexusErrors {
    /// keccak256("nexus.result.v1"): results without a function id (`functionIdHash == 0`)
    bytes32 public constant RESULT_DOMAIN = keccak256("nexus.result.v1");
    /// keccak256("nexus.result.v2"): results that bind their function (`functionIdHash != 0`)
    bytes32 public constant RESULT_DOMAIN_V2 = keccak256("nexus.result.v2");
    /// keccak256("nexus.rotate.v1")
    bytes32 public constant ROTATE_DOMAIN = keccak256("nexus.rotate.v1");

    /// Data contract whose code is 0x00 || groupPublicKey (256 bytes, EIP-2537 G2).
    address public keyStore;
    /// Number of rotations so far; part of the rotation message so a rotation cannot be replayed.
    uint64 public keyEpoch;
    /// Attested batch roots (docs/protocol.md §4) -> the key epoch they were attested under, plus one.
    mapping(bytes32 root => uint64 epochPlusOne) public batchRoots;

    event KeyRotated(uint64 indexed epoch, bytes32 indexed oldKeyHash, bytes32 indexed newKeyHash, bytes newKey);
    event BatchRootStored(bytes32 indexed root, uint64 indexed epoch);

    constructor(bytes memory initialKey) {
        BLS12381.checkPublicKey(initialKey);
        keyStore = _store(initialKey);
        emit KeyRotated(0, bytes32(0), keccak256(initialKey), initialKey);
    }

    /// @notice The current group public key (256-byte EIP-2537 G2 encoding).
    function groupPublicKey() public view returns (bytes memory key) {
        key = new bytes(256);
        address store = keyStore;
        assembly ("memory-safe") {
            extcodecopy(store, add(key, 32), 1, 256)
        }
    }

    /// @notice The digest of `r` (docs/protocol.md §1): protocol v2 when `r.functionIdHash` is set,
    ///         with the function id between verifier and codeHash; protocol v1 (no function id) when
    ///         it is zero. The two domains differ, so a result cannot be moved from one to the other.
    function digest(NexusResult calldata r) public pure returns (bytes32) {
        if (r.status > 3) revert InvalidStatus(r.status);
        if (r.functionIdHash == bytes32(0)) {
            return keccak256(
                abi.encode(
                    RESULT_DOMAIN,
                    r.chainId,
                    r.verifier,
                    r.codeHash,
                    r.seq,
                    r.inputHash,
                    r.status,
                    r.outputHash,
                    r.stateRootBefore,
                    r.stateRootAfter,
                    r.fuelUsed
                )
            );
        }
        return keccak256(
            abi.encode(
                RESULT_DOMAIN_V2,
                r.chainId,
                r.verifier,
                r.functionIdHash,
                r.codeHash,
                r.seq,
                r.inputHash,
                r.status,
                r.outputHash,
                r.stateRootBefore,
                r.stateRootAfter,
                r.fuelUsed
            )
        );
    }

    /// @notice hash_to_curve(message) with the Nexus DST, exposed for conformance tests.
    function hashToG1(bytes32 message) external view returns (bytes memory) {
        return BLS12381.hashToG1(message);
    }

    /// @notice Reverts with a named error unless `signature` (128-byte EIP-2537 G1) is the group's
    ///         signature over `message` (a result digest, a batch root or a rotation message).
    function verifySignature(bytes32 message, bytes calldata signature) public view {
        BLS12381.verify(message, signature, keyStore);
    }

    /// @notice Verifies a single attested result and returns its digest. Checks only the signature:
    ///         callers that act on a result also check `r.chainId`/`r.verifier` (see `verifyBound`).
    function verify(NexusResult calldata r, bytes calldata signature) external view returns (bytes32 d) {
        d = digest(r);
        BLS12381.verify(d, signature, keyStore);
    }

    /// @notice `verify` plus the binding checks: the result was made for this chain and this verifier.
    function verifyBound(NexusResult calldata r, bytes calldata signature) external view returns (bytes32 d) {
        _checkBinding(r);
        d = digest(r);
        BLS12381.verify(d, signature, keyStore);
    }

    /// @notice Stores a Merkle root of result digests once its group signature verifies.
    function verifyBatchRoot(bytes32 root, bytes calldata signature) external {
        uint64 epoch = keyEpoch;
        BLS12381.verify(root, signature, keyStore);
        if (batchRoots[root] == 0) {
            batchRoots[root] = epoch + 1;
            emit BatchRootStored(root, epoch);
        }
    }

    /// @notice Checks `r` against a stored batch root (no pairing) and returns its digest. Like
    ///         `verify`, the chain/verifier binding is left to the caller (`verifyInBatchBound`).
    function verifyInBatch(NexusResult calldata r, BatchProof calldata proof) public view returns (bytes32 d) {
        d = digest(r);
        if (batchRoots[proof.root] == 0) revert UnknownBatchRoot(proof.root);
        if (!merkleVerify(d, proof)) revert InvalidBatchProof();
    }

    /// @notice `verifyInBatch` plus the chain/verifier binding checks.
    function verifyInBatchBound(NexusResult calldata r, BatchProof calldata proof) external view returns (bytes32) {
        _checkBinding(r);
        return verifyInBatch(r, proof);
    }

    /// @notice Positional Merkle inclusion with promoted odd nodes, exactly docs/protocol.md §4.
    function merkleVerify(bytes32 resultDigest, BatchProof calldata proof) public pure returns (bool) {
        uint256 idx = proof.index;
        uint256 width = proof.size;
        if (width == 0 || idx >= width) return false;
        bytes32[] calldata siblings = proof.siblings;
        uint256 k;
        bytes32 node;
        assembly ("memory-safe") {
            mstore8(0x00, 0)
            mstore(0x01, resultDigest)
            node := keccak256(0x00, 33)
        }
        while (width > 1) {
            if (idx & 1 == 1 || idx != width - 1) {
                if (k >= siblings.length) return false;
                bytes32 sib = siblings[k++];
                assembly ("memory-safe") {
                    // 0x01 || left || right (65 bytes) in free memory; odd index = we are the right child.
                    let p := mload(0x40)
                    let odd := and(idx, 1)
                    let swap := mul(odd, xor(node, sib))
                    mstore8(p, 1)
                    mstore(add(p, 1), xor(node, swap))
                    mstore(add(p, 33), xor(sib, swap))
                    node := keccak256(p, 65)
                }
            }
            idx >>= 1;
            width = (width + 1) >> 1;
        }
        return k == siblings.length && node == proof.root;
    }

    /// @notice The message the current key signs to hand over to `newKey`.
    function rotationDigest(bytes calldata newKey) public view returns (bytes32) {
        return keccak256(abi.encode(ROTATE_DOMAIN, block.chainid, address(this), keyEpoch, keccak256(newKey)));
    }

    /// @notice Replaces the group key. Anyone may submit; only the current network can sign.
    function rotateKey(bytes calldata newKey, bytes calldata signature) external {
        bytes32 message = rotationDigest(newKey);
        BLS12381.verify(message, signature, keyStore);
        BLS12381.checkPublicKey(newKey);
        bytes32 oldKeyHash = keccak256(groupPublicKey());
        keyStore = _store(newKey);
        uint64 epoch = ++keyEpoch;
        emit KeyRotated(epoch, oldKeyHash, keccak256(newKey), newKey);
    }

    function _checkBinding(NexusResult calldata r) internal view {
        if (r.chainId != block.chainid) revert WrongChain(r.chainId);
        if (r.verifier != address(this)) revert WrongVerifier(r.verifier);
    }

    /// @dev Deploys a contract whose runtime code is 0x00 || data (the leading STOP makes it inert).
    function _store(bytes memory data) private returns (address store) {
        bytes memory init = abi.encodePacked(hex"61", uint16(data.length + 1), hex"80600a3d393df300", data);
        assembly ("memory-safe") {
            store := create(0, add(init, 32), mload(init))
        }
        if (store == address(0)) revert KeyStoreDeployFailed();
    }
}
