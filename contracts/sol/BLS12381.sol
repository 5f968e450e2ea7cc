// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {INexusErrors} from "./NexusTypes.sol";

/// @title BLS12381
/// @notice min-sig BLS over BLS12-381 with the EIP-2537 precompiles (Prague): RFC 9380 hash-to-G1
///         (suite BLS12381G1_XMD:SHA-256_SSWU_RO_, Nexus DST) and the pairing check
///         e(sig, -G2) * e(H(m), pk) == 1. Points use the EIP-2537 uncompressed encoding:
///         G1 = x || y, G2 = x.c0 || x.c1 || y.c0 || y.c1, each coordinate 64 bytes (16 zero bytes + 48).
/// @dev Every precompile call gets an explicit gas budget, so a bad point costs that budget and
///      then reverts with a named error instead of swallowing all remaining gas.
library BLS12381 {
    uint256 private constant SHA256 = 0x02;
    uint256 private constant MODEXP = 0x05;
    uint256 private constant G1ADD = 0x0b;
    uint256 private constant G2ADD = 0x0d;
    uint256 private constant G2MSM = 0x0e;
    uint256 private constant PAIRING = 0x0f;
    uint256 private constant MAP_FP_TO_G1 = 0x10;

    uint256 private constant G1ADD_GAS = 375;
    uint256 private constant G2ADD_GAS = 600;
    uint256 private constant G2MSM_ONE_GAS = 22500;
    uint256 private constant MAP_FP_TO_G1_GAS = 5500;
    uint256 private constant PAIRING_TWO_GAS = 37700 + 2 * 32600;

    // DST' = "NEXUS-V1-BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_" || I2OSP(44, 1), pre-split into the words
    // expand_message_xmd writes: b_0 input tail = 0x0080 || 0x00 || DST' ; b_i input tail = i || DST'.
    bytes32 private constant B0_TAIL_0 = 0x0080004e455855532d56312d424c53313233383147315f584d443a5348412d32;
    bytes32 private constant B0_TAIL_1 = 0x35365f535357555f524f5f4e554c5f2c00000000000000000000000000000000;
    bytes32 private constant BI_TAIL_0 = 0x004e455855532d56312d424c53313233383147315f584d443a5348412d323536;
    bytes32 private constant BI_TAIL_1 = 0x5f535357555f524f5f4e554c5f2c000000000000000000000000000000000000;

    // Base field modulus p (48 bytes), split for MODEXP's modulus field.
    bytes32 private constant P_HI = 0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f624;
    bytes32 private constant P_LO = 0x1eabfffeb153ffffb9feffffffffaaab00000000000000000000000000000000;

    // -G2 generator, EIP-2537 encoding (8 words).
    uint256 private constant NG2_0 = 0x00000000000000000000000000000000024aa2b2f08f0a91260805272dc51051;
    uint256 private constant NG2_1 = 0xc6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8;
    uint256 private constant NG2_2 = 0x0000000000000000000000000000000013e02b6052719f607dacd3a088274f65;
    uint256 private constant NG2_3 = 0x596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e;
    uint256 private constant NG2_4 = 0x000000000000000000000000000000000d1b3cc2c7027888be51d9ef691d77bc;
    uint256 private constant NG2_5 = 0xb679afda66c73f17f9ee3837a55024f78c71363275a75d75d86bab79f74782aa;
    uint256 private constant NG2_6 = 0x0000000000000000000000000000000013fa4d4a0ad8b1ce186ed5061789213d;
    uint256 private constant NG2_7 = 0x993923066dddaf1040bc3ff59f825c78df74f2d75467e25e0f55f8a00fa030ed;

    /// @notice hash_to_curve(message) in G1 (128-byte EIP-2537 encoding).
    function hashToG1(bytes32 message) internal view returns (bytes memory point) {
        point = new bytes(128);
        uint256 out;
        assembly ("memory-safe") {
            out := add(point, 32)
        }
        _hashToG1(message, out);
    }

    /// @notice Reverts unless `signature` (128 bytes, calldata) is a valid signature of `message`
    ///         under the G2 key whose 256 bytes are stored at `keyStore`'s code offset 1.
    function verify(bytes32 message, bytes calldata signature, address keyStore) internal view {
        if (signature.length != 128) revert INexusErrors.InvalidPointLength(signature.length);
        uint256 buf;
        assembly ("memory-safe") {
            buf := mload(0x40)
        }
        // Pairing input: sig (128) | -G2 (256) | H(m) (128) | pk (256). H(m) first: it uses scratch
        // space from buf + 512 on, where pk goes afterwards.
        _hashToG1(message, buf + 384);
        uint256 code;
        assembly ("memory-safe") {
            calldatacopy(buf, signature.offset, 128)
            switch or(or(mload(buf), mload(add(buf, 32))), or(mload(add(buf, 64)), mload(add(buf, 96))))
            case 0 { code := 1 } // the identity is never a valid signature
            default {
                // On-curve and encoding check: G1ADD(sig, O) has no subgroup check, so a failure here
                // means malformed and a later pairing failure means outside the subgroup.
                mstore(add(buf, 128), 0)
                mstore(add(buf, 160), 0)
                mstore(add(buf, 192), 0)
                mstore(add(buf, 224), 0)
                if iszero(staticcall(G1ADD_GAS, G1ADD, buf, 256, add(buf, 128), 128)) { code := 1 }
            }
            if iszero(code) {
                mstore(add(buf, 128), NG2_0)
                mstore(add(buf, 160), NG2_1)
                mstore(add(buf, 192), NG2_2)
                mstore(add(buf, 224), NG2_3)
                mstore(add(buf, 256), NG2_4)
                mstore(add(buf, 288), NG2_5)
                mstore(add(buf, 320), NG2_6)
                mstore(add(buf, 352), NG2_7)
                extcodecopy(keyStore, add(buf, 512), 1, 256)
                switch staticcall(PAIRING_TWO_GAS, PAIRING, buf, 768, 0x00, 32)
                case 0 { code := 2 }
                default { if iszero(mload(0x00)) { code := 3 } }
            }
        }
        if (code == 1) revert INexusErrors.MalformedPoint();
        if (code == 2) revert INexusErrors.PointNotInSubgroup();
        if (code == 3) revert INexusErrors.InvalidSignature();
    }

    /// @notice Reverts unless `key` is a 256-byte G2 point in the subgroup and not the identity.
    function checkPublicKey(bytes memory key) internal view {
        if (key.length != 256) revert INexusErrors.InvalidPointLength(key.length);
        uint256 code;
        assembly ("memory-safe") {
            let k := add(key, 32)
            let acc := 0
            for { let i := 0 } lt(i, 256) { i := add(i, 32) } { acc := or(acc, mload(add(k, i))) }
            switch acc
            case 0 { code := 1 }
            default {
                let buf := mload(0x40)
                mcopy(buf, k, 256)
                for { let i := 256 } lt(i, 512) { i := add(i, 32) } { mstore(add(buf, i), 0) }
                // G2ADD(key, O): encoding + on-curve; G2MSM(key, 1): subgroup (mandatory in MSM).
                switch staticcall(G2ADD_GAS, G2ADD, buf, 512, add(buf, 512), 256)
                case 0 { code := 1 }
                default {
                    mstore(add(buf, 256), 1)
                    if iszero(staticcall(G2MSM_ONE_GAS, G2MSM, buf, 288, add(buf, 512), 256)) { code := 2 }
                }
            }
        }
        if (code == 1) revert INexusErrors.MalformedPoint();
        if (code == 2) revert INexusErrors.PointNotInSubgroup();
    }

    /// @dev Writes hash_to_curve(message) (128 bytes) at `out`; uses [out + 128, out + 1024) as scratch.
    ///      expand_message_xmd(SHA-256, len 128) -> u0, u1 = 64-byte halves mod p (MODEXP with e = 1)
    ///      -> MAP_FP_TO_G1 each (map_to_curve + clear_cofactor) -> G1ADD. Clearing the cofactor of
    ///      each half first equals clearing it on the sum (it is a group homomorphism).
    function _hashToG1(bytes32 message, uint256 out) private view {
        bool ok = true;
        uint256 failed;
        assembly ("memory-safe") {
            let s := add(out, 128)
            // b_0 = H(Z_pad(64) || msg || I2OSP(128, 2) || I2OSP(0, 1) || DST')  (144 bytes)
            mstore(s, 0)
            mstore(add(s, 32), 0)
            mstore(add(s, 64), message)
            mstore(add(s, 96), B0_TAIL_0)
            mstore(add(s, 128), B0_TAIL_1)
            ok := and(ok, staticcall(gas(), SHA256, s, 144, add(s, 160), 32))
            let b0 := mload(add(s, 160))

            // MODEXP header at m: |B| = 64, |E| = 1, |M| = 48; B at m+96, E at m+160, M at m+161.
            let m := add(s, 320)
            mstore(m, 64)
            mstore(add(m, 32), 1)
            mstore(add(m, 64), 48)
            let fp := add(s, 576) // 16 zero bytes + 48-byte field element = MAP_FP_TO_G1 input
            mstore(fp, 0)
            let q := add(s, 192) // b_i input: (b_0 xor b_{i-1}) || i || DST'  (78 bytes)
            mstore(add(q, 64), BI_TAIL_1)
            let prev := 0
            for { let i := 1 } lt(i, 5) { i := add(i, 1) } {
                mstore(q, xor(b0, prev))
                mstore(add(q, 32), or(shl(248, i), BI_TAIL_0))
                // b_1, b_3 land in the high half of B, b_2, b_4 in the low half.
                let dst := add(add(m, 96), shl(5, iszero(and(i, 1))))
                ok := and(ok, staticcall(gas(), SHA256, q, 78, dst, 32))
                prev := mload(dst)
                if iszero(and(i, 1)) {
                    // B is complete: u = B mod p, then Q_(i/2 - 1) = map_to_curve(u).
                    mstore(add(m, 160), shl(248, 1))
                    mstore(add(m, 161), P_HI)
                    mstore(add(m, 193), P_LO)
                    ok := and(ok, staticcall(gas(), MODEXP, m, 209, add(fp, 16), 48))
                    if iszero(ok) { failed := MODEXP }
                    // Q0 at s+640, Q1 at s+768: contiguous G1ADD input.
                    let qOut := add(add(s, 640), shl(6, sub(i, 2)))
                    if iszero(staticcall(MAP_FP_TO_G1_GAS, MAP_FP_TO_G1, fp, 64, qOut, 128)) {
                        ok := 0
                        failed := MAP_FP_TO_G1
                    }
                }
            }
            if iszero(staticcall(G1ADD_GAS, G1ADD, add(s, 640), 256, out, 128)) {
                ok := 0
                failed := G1ADD
            }
            if and(iszero(ok), iszero(failed)) { failed := SHA256 }
        }
        if (!ok) revert INexusErrors.PrecompileFailed(failed);
    }
}
